"""Text from outside (a question typed into the chat or a shell, a document's metadata) made safe.

Two jobs, one place:

- :func:`clean_text`: what every question goes through before anything reads it. Code points
  that are not characters (lone surrogates, as a shell's invalid UTF-8 arrives in Python;
  noncharacters such as U+FFFE) become U+FFFD; control and format characters (escape sequences,
  bidi overrides, zero-width characters) are dropped, except tab and newline, which become spaces.
- :func:`terminal_safe`: what every string printed to a terminal goes through. A control
  character would let a document or a chat visitor's feedback comment move the cursor, retitle
  the window or clear the screen of the editor reading it; each is shown as its visible Unicode
  "control picture" (ESC as U+241B) instead, one cell wide, so tables keep their layout.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls (but tab), DEL and C1 controls: the bytes a terminal acts on.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# Format characters that reorder or hide what is shown (bidi embeddings/overrides/isolates, marks).
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NONCHARACTER = re.compile(r"[\ufdd0-\ufdef\ufffe\uffff]")


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400..U+241F: NUL, SOH, ..., ESC (U+241B), ..., US
    if code == 0x7F:
        return "\u2421"  # DEL
    return "\ufffd"  # C1 controls (CSI U+009B and friends) have no picture


def replace_invalid(text: str) -> str:
    """Lone surrogates and noncharacters replaced by U+FFFD (the text then encodes as UTF-8)."""
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return _NONCHARACTER.sub("\ufffd", text)


def clean_text(text: object) -> str:
    """Text any tokenizer, regex or terminal can take: invalid code points replaced, controls dropped.

    ``bytes`` are decoded as UTF-8 with U+FFFD for what is not; anything else that is not ``str``
    raises ``TypeError``. Tab, newline and carriage return become spaces; every other control
    (Cc) and format (Cf) character is removed; the result is NFC-normalised.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    text = replace_invalid(text)
    text = re.sub(r"[\t\n\r\v\f\x85\u2028\u2029]", " ", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    return unicodedata.normalize("NFC", text)


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """The text with every control character but tab shown as a visible symbol (newlines kept unless told)."""
    text = replace_invalid(text)
    if keep_newlines:
        lines = text.split("\n")
        return "\n".join(_BIDI.sub("\ufffd", _CONTROL.sub(_picture, line)) for line in lines)
    return _BIDI.sub("\ufffd", _CONTROL.sub(_picture, text))


def json_safe(text: str) -> str:
    """JSON text with DEL, C1 controls and bidi controls written as ``\\uXXXX`` escapes (still the same JSON).

    JSON encoders escape C0 controls already; these others they pass through raw, and a terminal
    may act on them. They can only occur inside JSON strings, where an escape means the same.
    """
    return re.sub(
        r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
        lambda m: f"\\u{ord(m.group(0)):04x}",
        text,
    )
