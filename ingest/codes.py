"""Clinical codes: CPT/HCPCS ranges, and ICD-10-CM descriptions from ``simple-icd-10-cm``.

CPT descriptors are AMA-copyrighted, so GuideQA never ships them; ICD-10-CM descriptions are
public and come from the ``simple-icd-10-cm`` package, offline.
"""

from __future__ import annotations

import re
from functools import lru_cache

import simple_icd_10_cm as icd

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


@lru_cache(maxsize=4096)
def icd10_description(code: str) -> str | None:
    """Official ICD-10-CM description of a code (dotted or not), or None if it is not a code."""
    candidate = code.strip().upper()
    try:
        if icd.is_valid_item(candidate):
            return str(icd.get_description(candidate))
    except Exception:  # the package raises on malformed input; treat as "not a code"
        return None
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
