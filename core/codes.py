"""Clinical codes: CPT/HCPCS ranges, and ICD-10-CM descriptions from ``simple-icd-10-cm``.

CPT descriptors are AMA-copyrighted, so GuideQA never ships them; ICD-10-CM descriptions are
public and come from the ``simple-icd-10-cm`` package, offline.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

CPT_RE = re.compile(r"(?<![\w.])(\d{4}[0-9FTU])(?![\w.])")
HCPCS_RE = re.compile(r"(?<![\w.])([A-V]\d{4})(?![\w.])")
ICD10_RE = re.compile(r"(?<![\w.])([A-TV-Z]\d[0-9AB](?:\.?[0-9A-TV-Z]{1,4})?)(?![\w.])", re.I)
_RANGE_RE = re.compile(r"^([A-Z]?)(\d{4,5})\s*(?:-|–|to|through)\s*([A-Z]?)(\d{4,5})$", re.I)
MAX_RANGE = 500


def expand_code_list(items: list[str]) -> list[str]:
    """Expand ranges like ``64490-64495`` into each code; keep order, drop duplicates."""
    out: list[str] = []
    for item in items:
        item = str(item).strip().upper()
        m = _RANGE_RE.match(item)
        if m and m.group(1) == m.group(3):
            lo, hi = int(m.group(2)), int(m.group(4))
            width = len(m.group(2))
            if 0 <= hi - lo <= MAX_RANGE:
                out.extend(f"{m.group(1)}{n:0{width}d}" for n in range(lo, hi + 1))
                continue
        out.append(item)
    return list(dict.fromkeys(out))


def _icd_cache_path() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "guideqa" / f"icd10cm-{metadata.version('simple-icd-10-cm')}.json"


@lru_cache(maxsize=1)
def _icd10_table() -> dict[str, str]:
    """Every ICD-10-CM code (dotted) -> its description.

    ``simple_icd_10_cm`` parses its whole XML classification on import (~1.5 s, a third of a cold
    `guideqa ask`), so its table is kept as JSON in the user's cache, keyed by the package
    version, and the package itself is imported only to (re)build that file.
    """
    path = _icd_cache_path()
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    import simple_icd_10_cm as icd

    table = {c: str(icd.get_description(c)) for c in icd.get_all_codes(with_dots=True)}
    try:  # write-then-rename: a concurrent reader never sees half a file
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
            json.dump(table, tmp)
        os.replace(tmp.name, path)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return table


@lru_cache(maxsize=4096)
def icd10_description(code: str) -> str | None:
    """Official ICD-10-CM description of a code (dotted or not), or None if it is not a code."""
    candidate = code.strip().upper()
    table = _icd10_table()
    if candidate in table:
        return table[candidate]
    dotted = candidate[:3] + "." + candidate[3:]  # the package accepts codes written without the dot
    if len(candidate) >= 4 and dotted in table:
        return table[dotted]
    return None


def find_cpt(text: str) -> list[str]:
    return list(dict.fromkeys(CPT_RE.findall(text)))


def find_hcpcs(text: str) -> list[str]:
    return list(dict.fromkeys(c.upper() for c in HCPCS_RE.findall(text)))


def find_icd10(text: str) -> list[tuple[str, str]]:
    """ICD-10-CM codes written in the text that really exist, with their descriptions."""
    found: list[tuple[str, str]] = []
    for code in ICD10_RE.findall(text):
        desc = icd10_description(code)
        if desc and code.upper() not in {c for c, _ in found}:
            found.append((code.upper(), desc))
    return found
