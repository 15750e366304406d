"""Turn a document body (Markdown or HTML) into an ordered list of blocks.

Blocks keep what chunking and evidence extraction need: headings (for section paths), text and
list items, and tables with header, rows, caption and footer. Hostile or invisible content is
dropped here, once: scripts, styles, comments and elements hidden from a reader never reach the
index, so text a human editor cannot see can never be quoted to a physician.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from core.records import TableRow

BlockKind = Literal["heading", "text", "list_item", "table"]
MAX_CAPTION_CHARS = 400


@dataclass
class Table:
    header: list[str]
    rows: list[TableRow]
    caption: str | None = None
    footer: str | None = None


@dataclass
class Block:
    kind: BlockKind
    text: str = ""
    level: int = 0
    table: Table | None = None
    section: list[str] = field(default_factory=list)  # heading path above this block
    pseudo: bool = False  # a bold-only paragraph acting as a heading (common in HTML summaries)


def clean_inline(text: str) -> str:
    """Collapse whitespace and repeated image alt words ("radioactive radioactive" -> "radioactive x2")."""
    text = re.sub(r"\s+", " ", text).strip()

    def _count(m: re.Match[str]) -> str:
        n = len(m.group(0).split())
        return f"{m.group(1)} x{n}"

    return re.sub(r"\b([A-Za-z]{4,})(?:\s+\1\b)+", _count, text)


def _with_sections(blocks: list[Block]) -> list[Block]:
    path: list[tuple[int, str]] = []
    for b in blocks:
        if b.kind == "heading":
            path = [p for p in path if p[0] < b.level]
            b.section = [t for _, t in path]
            path.append((b.level, b.text))
        else:
            b.section = [t for _, t in path]
    return blocks


def _caption_from_previous(blocks: list[Block]) -> str | None:
    """The short paragraph (or bold pseudo-heading) right above a table names what it is about."""
    if not blocks:
        return None
    last = blocks[-1]
    if (last.kind == "text" or (last.kind == "heading" and last.pseudo)) and len(last.text) <= MAX_CAPTION_CHARS:
        return last.text
    return None


def _merge_summary(caption: str | None, summary: str | None) -> str | None:
    """Add an HTML table summary to the caption when it says something the caption does not."""
    if not summary:
        return caption
    if not caption:
        return summary
    have = set(re.findall(r"[a-z0-9]+", caption.lower()))
    new = [w for w in re.findall(r"[a-z0-9]+", summary.lower()) if w not in have and len(w) > 2]
    return f"{caption} [{summary}]" if len(new) >= 2 else caption


# ---------------------------------------------------------------- Markdown

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _md_inline(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]{1,200}>", " ", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*]+)(?<!\s)\*(?!\w)", r"\1", text)
    return clean_inline(text)


def _md_cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [_md_inline(c) for c in re.split(r"(?<!\\)\|", line)]


def parse_markdown(body: str) -> list[Block]:
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    body = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", body, flags=re.S | re.I)
    lines = body.splitlines()
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            text = _md_inline(" ".join(para))
            if text:
                blocks.append(Block("text", text))
            para.clear()

    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            flush()
            in_fence = not in_fence
            i += 1
            continue
        if in_fence:
            para.append(stripped)
            i += 1
            continue
        if not stripped:
            flush()
            i += 1
            continue
        m = _MD_HEADING.match(stripped)
        if m:
            flush()
            blocks.append(Block("heading", _md_inline(m.group(2)), level=len(m.group(1))))
            i += 1
            continue
        if stripped.startswith("|") and i + 1 < len(lines) and _MD_TABLE_SEP.match(lines[i + 1]):
            flush()
            header = _md_cells(stripped)
            i += 2
            rows: list[TableRow] = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = _md_cells(lines[i])
                non_empty = [c for c in cells if c]
                if len(non_empty) == 1 and cells[0] and len(header) > 1 and not any(cells[1:]):
                    rows.append(TableRow([], group=cells[0]))
                else:
                    rows.append(TableRow(cells))
                i += 1
            caption = _caption_from_previous(blocks)
            blocks.append(Block("table", table=Table(header=header, rows=rows, caption=caption)))
            continue
        lm = _MD_LIST.match(line)
        if lm:
            flush()
            item = [lm.group(2).strip()]
            indent = len(lm.group(1))
            i += 1
            while i < len(lines) and lines[i].strip() and not _MD_LIST.match(lines[i]):
                nxt = lines[i]
                if len(nxt) - len(nxt.lstrip()) <= indent and _MD_HEADING.match(nxt.strip()):
                    break
                if nxt.strip().startswith("|"):
                    break
                item.append(nxt.strip())
                i += 1
            text = _md_inline(" ".join(item))
            if text:
                blocks.append(Block("list_item", text))
            continue
        if stripped.startswith(">"):
            para.append(stripped.lstrip(">").strip())
            i += 1
            continue
        para.append(stripped)
        i += 1
    flush()
    return _with_sections(blocks)


# ---------------------------------------------------------------- HTML

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "form", "svg", "head")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "body",
    "header",
    "footer",
    "aside",
    "nav",
    "dl",
    "figure",
    "html",
}


def _hidden_attrs(attrs: dict[str, object]) -> bool:
    """Attributes that hide an element from a reader (the same rule for HTML files and HTML in Markdown)."""
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    style = re.sub(r"\s+", "", str(attrs.get("style", "") or "")).lower()
    return "display:none" in style or "visibility:hidden" in style or "font-size:0" in style


def _is_hidden(tag: Tag) -> bool:
    return _hidden_attrs(tag.attrs)


class DepthError(ValueError):
    """HTML nested deeper than the limit (``GUIDEQA_MAX_HTML_DEPTH``); the caller names the file."""


def html_depth(root: Tag, limit: int) -> int:
    """How deep elements nest under ``root``, counted without recursion; stops early once over ``limit``."""
    deepest = 0
    stack: list[tuple[Tag, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in node.contents if isinstance(child, Tag))
    return deepest


_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
_IMPLIED_END = frozenset(["p", "li", "dt", "dd", "tr", "td", "th", "option"])


class _HiddenSpans(HTMLParser):
    """Finds, in Markdown text, the character spans of raw HTML a reader would not see.

    The same rules as :func:`parse_html`: the dropped elements (``script``, ``noscript``,
    ``template``...), elements hidden by attribute or style, and comments. Everything else,
    Markdown included, is left exactly as it is. Element nesting is tracked with a stack (no
    recursion) and refused past ``max_depth``.
    """

    def __init__(self, text: str, max_depth: int) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.max_depth = max_depth
        self.line_starts = [0]
        for m in re.finditer("\n", text):
            self.line_starts.append(m.end())
        self.stack: list[str] = []
        self.hidden: tuple[int, int] | None = None  # (stack depth of the hidden element, start offset)
        self.spans: list[tuple[int, int]] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        end = start + len(self.get_starttag_text() or "")
        if tag in _IMPLIED_END and self.stack and self.stack[-1] == tag:
            self._close_to(len(self.stack) - 1, start)
        hides = tag in _DROP_TAGS or _hidden_attrs(dict(attrs))
        if tag in _VOID:
            if hides and self.hidden is None:
                self.spans.append((start, end))
            return
        self.stack.append(tag)
        if len(self.stack) > self.max_depth:
            raise DepthError(f"HTML nested deeper than {self.max_depth} levels")
        if hides and self.hidden is None:
            self.hidden = (len(self.stack) - 1, start)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        if (tag in _DROP_TAGS or _hidden_attrs(dict(attrs))) and self.hidden is None:
            self.spans.append((start, start + len(self.get_starttag_text() or "")))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            return  # a stray end tag closes nothing
        start = self._offset()
        close = self.text.find(">", start)
        end = len(self.text) if close < 0 else close + 1
        depth = len(self.stack) - 1 - self.stack[::-1].index(tag)
        self._close_to(depth, end)

    def _close_to(self, depth: int, end: int) -> None:
        del self.stack[depth:]
        if self.hidden is not None and self.hidden[0] >= depth:
            self.spans.append((self.hidden[1], end))
            self.hidden = None

    def handle_comment(self, data: str) -> None:
        if self.hidden is None:
            start = self._offset()
            self.spans.append((start, start + len(data) + 7))  # "<!--" + data + "-->"

    def finish(self) -> list[tuple[int, int]]:
        self.close()
        if self.hidden is not None:  # never closed: hidden to the end, as a browser would hide it
            self.spans.append((self.hidden[1], len(self.text)))
            self.hidden = None
        return self.spans


def strip_hidden_html(text: str, max_depth: int = 200) -> str:
    """Markdown with its hidden raw HTML removed (see :class:`_HiddenSpans`); raises :class:`DepthError`."""
    if "<" not in text:
        return text
    finder = _HiddenSpans(text, max_depth)
    finder.feed(text)
    spans = finder.finish()
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            start = last
        if end <= start:
            continue
        out.append(text[last:start])
        removed = text[start:end].count("\n")
        out.append("\n" * removed if removed else " ")  # keep the Markdown's line structure
        last = end
    out.append(text[last:])
    return "".join(out)


def _is_bold_label(tag: Tag, text: str) -> bool:
    """A short paragraph whose whole text is bold reads as a heading."""
    if len(text) > 200:
        return False
    bold = " ".join(b.get_text(" ", strip=True) for b in tag.find_all(["strong", "b"]))
    return clean_inline(bold) == text


def _cell_text(cell: Tag) -> str:
    return clean_inline(cell.get_text(" ", strip=True))


def _html_table(table: Tag, previous: list[Block]) -> Table:
    header: list[str] = []
    rows: list[TableRow] = []
    footer_parts: list[str] = []
    thead = table.find("thead")
    if isinstance(thead, Tag):
        first = thead.find("tr")
        if isinstance(first, Tag):
            header = [_cell_text(c) for c in first.find_all(["th", "td"])]
    for tfoot in table.find_all("tfoot"):
        footer_parts.append(clean_inline(tfoot.get_text(" ", strip=True)))
    for tr in table.find_all("tr"):
        if tr.find_parent("thead") is not None or tr.find_parent("tfoot") is not None:
            continue
        if tr.find_parent("table") is not table:
            continue  # a nested table's rows belong to that table
        cells = tr.find_all(["th", "td"], recursive=False)
        texts = [_cell_text(c) for c in cells]
        if not header and cells and all(c.name == "th" for c in cells) and len(cells) > 1:
            header = texts
            continue
        width = max(len(header), 1)
        if len(cells) == 1 and width > 1:
            if texts[0]:
                rows.append(TableRow([], group=texts[0]))
            continue
        if any(texts):
            rows.append(TableRow(texts))
    caption_tag = table.find("caption")
    caption = _cell_text(caption_tag) if isinstance(caption_tag, Tag) else None
    if not caption:
        caption = _caption_from_previous(previous)
    summary = re.sub(r"^\s*table\s*:\s*", "", str(table.get("summary", "")), flags=re.I).strip()
    caption = _merge_summary(caption, clean_inline(summary) or None)
    return Table(header=header, rows=rows, caption=caption, footer=" ".join(footer_parts) or None)


def parse_html(body: str) -> list[Block]:
    soup = BeautifulSoup(body, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if isinstance(tag, Tag) and tag.attrs is not None and _is_hidden(tag):
            tag.decompose()
    for img in soup.find_all("img"):
        alt = str(img.get("alt", "")).strip()
        img.replace_with(f" {alt} " if alt else " ")
    for br in soup.find_all("br"):
        br.replace_with("\n")

    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        text = clean_inline(" ".join(buffer))
        buffer.clear()
        if text:
            blocks.append(Block("text", text))

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                buffer.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _HEADINGS:
                flush()
                text = clean_inline(child.get_text(" ", strip=True))
                if text:
                    blocks.append(Block("heading", text, level=_HEADINGS[name]))
            elif name == "table":
                flush()
                blocks.append(Block("table", table=_html_table(child, blocks)))
            elif name in ("ul", "ol"):
                flush()
                for li in child.find_all("li", recursive=False):
                    nested = [n.extract() for n in li.find_all(["ul", "ol"], recursive=False)]
                    text = clean_inline(li.get_text(" ", strip=True))
                    if text:
                        blocks.append(Block("list_item", text))
                    for n in nested:
                        wrapper = soup.new_tag("div")
                        wrapper.append(n)
                        walk(wrapper)
            elif name in ("p", "blockquote", "pre", "dt", "dd", "li", "address", "figcaption"):
                flush()
                text = clean_inline(child.get_text(" ", strip=True))
                if text and _is_bold_label(child, text):
                    level = next((b.level for b in reversed(blocks) if b.kind == "heading" and not b.pseudo), 1)
                    blocks.append(Block("heading", text, level=level + 1, pseudo=True))
                else:
                    buffer.append(text)
                    flush()
            elif name in _BLOCK_CONTAINERS:
                flush()
                walk(child)
                flush()
            else:
                buffer.append(child.get_text(" ", strip=True))
        # text directly inside a container ends with the container

    root = soup.body if isinstance(soup.body, Tag) else soup
    walk(root)
    flush()
    return _with_sections(blocks)


def parse_body(body: str, fmt: str) -> list[Block]:
    return parse_markdown(body) if fmt == "markdown" else parse_html(body)
