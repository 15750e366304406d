"""Readers for documents that carry no front matter: PDF, DOCX and plain text.

Each turns the file into the metadata it holds (PDF document info, DOCX core properties) and an
HTML body that :func:`ingest.parsing.parse_html` chunks like any other document, so headings
and tables keep their structure. Libraries do the reading: pypdf (metadata, encryption),
pdfplumber (text and, best effort, tables), python-docx. Metadata a file lacks is given by the
editor (``docs add --meta``, the upload form) and wins over the file's own.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from core.records import DocumentError
from ingest.limits import Limits

_PDF_INFO = {"/Title": "title", "/Author": "publisher", "/Subject": "topics", "/Keywords": "keywords"}


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _table(rows: list[list[str | None]]) -> str:
    cells = [[html.escape((c or "").strip()) for c in row] for row in rows if any((c or "").strip() for c in row)]
    if len(cells) < 2:
        return ""
    head = "".join(f"<th>{c}</th>" for c in cells[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, with hard-wrapped lines joined."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def check_zip(path: Path, raw: bytes, limits: Limits) -> None:
    """Refuse a zip (DOCX) that would unpack to too much, before any of it is unpacked.

    The sizes come from the central directory; :mod:`zipfile` never returns more than an entry's
    stated size (it stops there and checks the CRC), so a lying header cannot get past them.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError(path, f"is not a readable DOCX file ({exc.__class__.__name__}: not a zip archive)") from exc
    if len(entries) > limits.zip_entries:
        raise DocumentError(
            path, f"holds {len(entries):,} files, over the {limits.zip_entries:,} limit (GUIDEQA_MAX_ZIP_ENTRIES)"
        )
    total = sum(e.file_size for e in entries)
    if total > limits.uncompressed_bytes:
        raise DocumentError(
            path,
            f"unpacks to {total / 1e6:,.1f} MB, over the {limits.uncompressed_bytes / 1e6:g} MB limit "
            "(GUIDEQA_MAX_UNCOMPRESSED_MB)",
        )
    for e in entries:
        ratio = e.file_size / max(e.compress_size, 1)
        if e.file_size > 1_000_000 and ratio > limits.zip_ratio:
            raise DocumentError(
                path,
                f"part {e.filename!r} expands {ratio:,.0f} times ({e.file_size / 1e6:,.1f} MB), over the "
                f"{limits.zip_ratio:g}x limit (GUIDEQA_MAX_ZIP_RATIO)",
            )


def _check_pdf_streams(path: Path, reader: Any, limits: Limits) -> None:
    """Refuse a PDF with too many pages, or whose page content decodes to too much, before pdfminer reads it.

    pypdf decodes with its own per-stream caps (a decompression bomb raises its ``LimitReachedError``);
    the sum over pages is held to ``GUIDEQA_MAX_UNCOMPRESSED_MB``.
    """
    n_pages = len(reader.pages)
    if n_pages > limits.pdf_pages:
        raise DocumentError(path, f"has {n_pages:,} pages, over the {limits.pdf_pages:,} limit (GUIDEQA_MAX_PDF_PAGES)")
    from pypdf.errors import LimitReachedError

    total = 0
    for page in reader.pages:
        try:
            contents = page.get_contents()
            total += len(contents.get_data()) if contents is not None else 0
        except LimitReachedError as exc:
            raise DocumentError(
                path,
                "a page's content stream inflates past pypdf's per-stream limit (a decompression bomb); "
                f"the limit for all pages is {limits.uncompressed_bytes / 1e6:g} MB (GUIDEQA_MAX_UNCOMPRESSED_MB)",
            ) from exc
        if total > limits.uncompressed_bytes:
            raise DocumentError(
                path,
                f"page content decodes to over {limits.uncompressed_bytes / 1e6:g} MB (GUIDEQA_MAX_UNCOMPRESSED_MB)",
            )


def read_pdf(path: Path, raw: bytes, limits: Limits | None = None) -> tuple[dict[str, Any], str]:
    import pdfplumber
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    limits = limits or Limits()
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(path, "is an encrypted PDF: remove the password and upload it again")
        info = reader.metadata or {}
        n_pages = len(reader.pages)
        if not reader.is_encrypted:
            _check_pdf_streams(path, reader, limits)
    except DocumentError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(path, f"is not a readable PDF ({exc.__class__.__name__}: {exc})") from exc
    if reader.is_encrypted:
        # An empty user password opens it for reading, but pdfminer may still refuse: say so plainly.
        raise DocumentError(path, "is an encrypted PDF: remove the encryption and upload it again")
    meta = {key: str(info[name]).strip() for name, key in _PDF_INFO.items() if info.get(name)}
    parts: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            for page in pdf.pages:
                tables = page.find_tables()
                boxes = [t.bbox for t in tables]

                def outside(obj: dict[str, Any], boxes: list[tuple[float, ...]] = boxes) -> bool:
                    x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
                    y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
                    return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

                text = page.filter(outside).extract_text() if boxes else page.extract_text()
                parts.extend(_p(para) for para in _paragraphs(text or ""))
                parts.extend(t for t in (_table(tb.extract()) for tb in tables) if t)
    except DocumentError:
        raise
    except Exception as exc:  # pdfminer raises many types on damaged files
        raise DocumentError(path, f"is not a readable PDF ({exc.__class__.__name__}: {exc})") from exc
    if not parts:
        raise DocumentError(path, f"has no extractable text in its {n_pages} page(s) (a scanned PDF needs OCR first)")
    return meta, "<html><body>" + "\n".join(parts) + "</body></html>"


def read_docx(path: Path, raw: bytes, limits: Limits | None = None) -> tuple[dict[str, Any], str]:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip(path, raw, limits or Limits())

    try:
        document = Document(io.BytesIO(raw))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(path, f"is not a readable DOCX file ({exc.__class__.__name__})") from exc
    except Exception as exc:  # a damaged zip or XML part
        raise DocumentError(path, f"is not a readable DOCX file ({exc.__class__.__name__}: {exc})") from exc
    props = document.core_properties
    meta: dict[str, Any] = {}
    if props.title:
        meta["title"] = props.title
    if props.author:
        meta["publisher"] = props.author
    if props.keywords:
        meta["keywords"] = props.keywords
    parts: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            level = re.match(r"Heading (\d)", style)
            if style == "Title":
                meta.setdefault("title", text)
                parts.append(f"<h1>{html.escape(text)}</h1>")
            elif level:
                n = min(int(level.group(1)) + 1, 6)
                parts.append(f"<h{n}>{html.escape(text)}</h{n}>")
            else:
                parts.append(_p(text))
        elif isinstance(item, Table):
            parts.append(_table([[cell.text for cell in row.cells] for row in item.rows]))
    return meta, "<html><body>" + "\n".join(p for p in parts if p) + "</body></html>"


def read_text(path: Path, text: str) -> tuple[dict[str, Any], str]:
    return {}, "<html><body>" + "\n".join(_p(p) for p in _paragraphs(text)) + "</body></html>"
