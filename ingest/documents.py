"""Guideline documents: their metadata contract and the loading of Markdown, HTML, PDF, DOCX and text files.

A document is metadata (validated by :class:`core.records.DocumentMeta`) plus a body that the parsers in
:mod:`ingest.parsing` turn into blocks. A file that is malformed or lacks a required field fails
with :class:`core.records.DocumentError`, which names the file and the field, before anything is indexed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup
from pydantic import ValidationError

from core.codes import expand_code_list
from core.records import Codes, DocumentError, DocumentMeta, LoadedDocument, content_hash
from ingest.limits import MAX_DOCUMENT_BYTES, Limits
from ingest.parsing import DepthError, html_depth, strip_hidden_html

SUPPORTED_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt")
REQUIRED_FIELDS = ("doc_id", "title", "publisher")
__all__ = ["MAX_DOCUMENT_BYTES", "SUPPORTED_SUFFIXES", "Limits", "discover", "load_document"]


def _check_yaml(text: str, path: Path, limits: Limits) -> None:
    """Refuse front matter that could cost more to load than it weighs: checked on the event stream.

    PyYAML's event parser is iterative and builds nothing, so this pass is cheap and bounded;
    only text that passes (no anchors or aliases, bounded depth, node count and value size) is
    then loaded. Aliases are what "billion laughs" documents are made of.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > limits.front_matter_bytes:
        raise DocumentError(
            path,
            f"front matter is {size:,} bytes, over the {limits.front_matter_bytes:,} byte limit "
            "(GUIDEQA_MAX_FRONT_MATTER_KB)",
        )
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise DocumentError(path, f"front matter uses a YAML alias (*{event.anchor}): aliases are not accepted")
            if isinstance(event, yaml.NodeEvent):
                if event.anchor:
                    raise DocumentError(
                        path, f"front matter uses a YAML anchor (&{event.anchor}): anchors are not accepted"
                    )
                nodes += 1
                if nodes > limits.yaml_nodes:
                    raise DocumentError(
                        path, f"front matter has over {limits.yaml_nodes:,} values (GUIDEQA_MAX_YAML_NODES)"
                    )
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > limits.yaml_depth:
                    raise DocumentError(
                        path, f"front matter nests deeper than {limits.yaml_depth} levels (GUIDEQA_MAX_YAML_DEPTH)"
                    )
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and len(event.value) > limits.field_chars:
                raise DocumentError(
                    path,
                    f"a front matter value is {len(event.value):,} characters, over the {limits.field_chars:,} "
                    "limit (GUIDEQA_MAX_META_FIELD_CHARS)",
                )
    except yaml.YAMLError as exc:
        raise DocumentError(path, f"front matter is not valid YAML ({exc.__class__.__name__})") from exc


def _check_meta_sizes(data: dict[str, Any], path: Path, limits: Limits) -> None:
    """Every metadata value within the field limits, whatever format it came from (YAML, HTML, DOCX, PDF)."""
    stack: list[tuple[str, Any, int]] = [(str(k), v, 0) for k, v in data.items()]
    while stack:
        field, value, depth = stack.pop()
        if isinstance(value, str):
            if len(value) > limits.field_chars:
                raise DocumentError(
                    path,
                    f"is {len(value):,} characters, over the {limits.field_chars:,} limit "
                    "(GUIDEQA_MAX_META_FIELD_CHARS)",
                    field,
                )
        elif isinstance(value, (list, tuple, dict)):
            if len(value) > limits.field_items:
                raise DocumentError(
                    path,
                    f"has {len(value):,} items, over the {limits.field_items:,} limit (GUIDEQA_MAX_META_ITEMS)",
                    field,
                )
            if depth > limits.yaml_depth:
                raise DocumentError(
                    path, f"nests deeper than {limits.yaml_depth} levels (GUIDEQA_MAX_YAML_DEPTH)", field
                )
            items = value.values() if isinstance(value, dict) else value
            stack.extend((field, item, depth + 1) for item in items)


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _codes_from(value: Any, path: Path) -> Codes:
    """Accept a mapping {cpt, hcpcs, icd10}, or a flat list with optional ``cpt:`` prefixes."""
    buckets: dict[str, list[str]] = {"cpt": [], "hcpcs": [], "icd10": []}
    if value is None:
        return Codes()
    if isinstance(value, dict):
        for key, items in value.items():
            k = str(key).lower().replace("-", "").replace("_", "")
            k = {"icd10cm": "icd10", "icd": "icd10"}.get(k, k)
            if k not in buckets:
                raise DocumentError(path, f"unknown code system '{key}' (use cpt, hcpcs, icd10)", "codes")
            buckets[k].extend(_split_list(items))
    else:
        for item in _split_list(value):
            if ":" in item:
                system, code = item.split(":", 1)
                buckets.setdefault(system.strip().lower(), []).append(code.strip())
            else:
                buckets[_guess_system(item)].append(item)
    return Codes(
        cpt=expand_code_list(buckets["cpt"]),
        hcpcs=expand_code_list(buckets["hcpcs"]),
        icd10=[c.upper() for c in buckets["icd10"]],
    )


def _guess_system(code: str) -> str:
    if re.fullmatch(r"\d{4}[0-9FTU](?:\s*-\s*\d{4}[0-9FTU])?", code):
        return "cpt"
    if re.fullmatch(r"[A-V]\d{4}(?:\s*-\s*[A-V]\d{4})?", code):
        return "hcpcs"
    return "icd10"


def _front_matter(text: str, path: Path, limits: Limits) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        raise DocumentError(path, "Markdown documents must start with YAML front matter ('---')")
    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", text, flags=re.S)
    if not match:
        raise DocumentError(path, "front matter is not closed by a '---' line")
    _check_yaml(match.group(1), path, limits)
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(path, f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise DocumentError(path, "front matter must be a mapping of fields")
    return data, text[match.end() :]


def _html_meta(text: str, path: Path, limits: Limits) -> tuple[dict[str, Any], str]:
    soup = BeautifulSoup(text, "html.parser")  # the tree is built iteratively; walking it later is not
    depth = html_depth(soup, limits.html_depth)
    if depth > limits.html_depth:
        raise DocumentError(
            path, f"nests HTML elements deeper than {limits.html_depth} levels (GUIDEQA_MAX_HTML_DEPTH)"
        )
    data: dict[str, Any] = {}
    if soup.title and soup.title.get_text(strip=True):
        data["title"] = soup.title.get_text(" ", strip=True)
    for tag in soup.find_all("meta"):
        name = tag.get("name")
        if not name:
            continue
        key = str(name).strip().lower().replace("-", "_")
        data[key] = tag.get("content", "")
    return data, text


def _meta_from(data: dict[str, Any], path: Path, default_status: str) -> DocumentMeta:
    data = {str(k).strip().lower().replace("-", "_"): v for k, v in data.items()}
    if "doc_id" not in data and "id" in data:
        data["doc_id"] = data.pop("id")
    for field in REQUIRED_FIELDS:
        value = data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise DocumentError(path, "required field is missing or empty", field)
    topics = _split_list(data.get("topics")) or _split_list(data.get("keywords"))
    fields = {
        "doc_id": str(data["doc_id"]).strip(),
        "title": str(data["title"]).strip(),
        "publisher": str(data["publisher"]).strip(),
        "year": data.get("year") if data.get("year") not in ("", None) else None,
        "version": data.get("version"),
        "effective_date": data.get("effective_date") or None,
        "source_url": (str(data["source_url"]).strip() or None) if data.get("source_url") else None,
        "status": (str(data.get("status") or default_status)).strip().lower().replace(" ", "_"),
        "codes": _codes_from(data.get("codes"), path),
        "topics": topics,
        "sources": data.get("sources") or [],
    }
    if not isinstance(fields["sources"], list):
        raise DocumentError(path, "must be a list of {id, title, url, read, version} entries", "sources")
    try:
        return DocumentMeta(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise DocumentError(path, err["msg"], field) from exc


def _decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:4096]:
        raise DocumentError(path, "looks binary, not a text document")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            path, f"is not valid UTF-8 text (byte {exc.start}): save it as UTF-8 and try again"
        ) from exc


def load_document(
    path: Path,
    *,
    default_status: str = "submitted",
    max_bytes: int | None = None,
    overrides: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> LoadedDocument:
    """Read and validate one document file; raise :class:`DocumentError` on any defect.

    ``overrides`` is metadata the editor gives (``--meta key=value``, the upload form); it wins
    over the file's own and is part of the content hash, so changed metadata is a new revision.
    Files without a metadata block (PDF, DOCX, text) take their ``doc_id`` from the file name.
    """
    path = Path(path)
    limits = limits or Limits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    max_bytes = limits.max_bytes
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(path, f"unsupported file type '{suffix}' (use {', '.join(SUPPORTED_SUFFIXES)})")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(
                path, f"is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit (GUIDEQA_MAX_DOCUMENT_MB)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror})") from exc
    if not raw.strip():
        raise DocumentError(path, "is empty")
    if suffix in (".md", ".markdown"):
        data, body = _front_matter(_decode(raw, path), path, limits)
        try:  # raw HTML inside Markdown is cleaned by the same rules as an .html file's
            body = strip_hidden_html(body, limits.html_depth)
        except DepthError as exc:
            raise DocumentError(
                path, f"nests HTML elements deeper than {limits.html_depth} levels (GUIDEQA_MAX_HTML_DEPTH)"
            ) from exc
        fmt = "markdown"
    elif suffix in (".html", ".htm"):
        data, body = _html_meta(_decode(raw, path), path, limits)
        fmt = "html"
    else:
        from ingest import readers  # the PDF and DOCX libraries load only when such a file comes

        if suffix == ".pdf":
            data, body, fmt = (*readers.read_pdf(path, raw, limits), "pdf")
        elif suffix == ".docx":
            data, body, fmt = (*readers.read_docx(path, raw, limits), "docx")
        else:
            data, body, fmt = (*readers.read_text(path, _decode(raw, path)), "text")
        data.setdefault("doc_id", re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.") or None)
    extra = {str(k).strip().lower().replace("-", "_"): v for k, v in (overrides or {}).items()}
    _check_meta_sizes({**data, **extra}, path, limits)
    meta = _meta_from({**data, **extra}, path, default_status)
    visible = body if fmt == "markdown" else BeautifulSoup(body, "html.parser").get_text()
    if not visible.strip():
        raise DocumentError(path, "has no body text")
    digest = content_hash(raw + (repr(sorted(extra.items())).encode() if extra else b""))
    return LoadedDocument(meta=meta, path=str(path), fmt=fmt, body=body, content_hash=digest)


def discover(paths: list[Path]) -> list[Path]:
    """Every supported document under the given files and folders, sorted, README files excluded."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(
                f
                for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and f.stem.lower() != "readme"
            )
        elif p.is_file():
            found.append(p)
        else:
            raise DocumentError(p, "no such file or folder")
    return sorted(set(found))
