"""Hostile documents (issue 15): each one written the way the probe of 2026-12-01 wrote it.

Shared by ``tests/test_hostile_documents.py`` (small sizes, low limits: fast) and
``benchmarks/check_hostile_documents.py`` (full-size bombs against the default limits, under
``ulimit -v 2000000``). Every function writes one file into ``folder`` and returns its path.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HEAD = "doc_id: {doc_id}\npublisher: Hostile\n"
BODY = "\n# Policy\n\nLumbar MRI is indicated after six weeks of failed physical therapy.\n"


def yaml_alias_bomb(folder: Path, levels: int = 9) -> Path:
    """Billion laughs: each anchor is a list of nine aliases of the one before (9**levels strings)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    text = "---\n" + HEAD.format(doc_id="alias-bomb") + "\n".join(lines) + f"\ntitle: *a{levels - 1}\n---\n" + BODY
    path = folder / "alias-bomb.md"
    path.write_text(text, encoding="utf-8")
    return path


def yaml_title_alias(folder: Path) -> Path:
    """A short document whose title is an alias of a large anchored mapping (the 34.7 MB title)."""
    lines = ['x0: &x0 "' + "A" * 200 + '"']
    for i in range(1, 6):
        lines.append(f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 12) + "]")
    text = "---\n" + HEAD.format(doc_id="title-alias") + "\n".join(lines) + "\ntitle: *x5\n---\n" + BODY
    path = folder / "title-alias.md"
    path.write_text(text, encoding="utf-8")
    return path


def yaml_deep_nesting(folder: Path, depth: int = 20_000) -> Path:
    """Flow sequences nested 20,000 deep, in 40 KB (the kind of document that aborted the process)."""
    text = "---\n" + HEAD.format(doc_id="deep-yaml") + "title: " + "[" * depth + "]" * depth + "\n---\n" + BODY
    path = folder / "deep-yaml.md"
    path.write_text(text, encoding="utf-8")
    return path


def yaml_huge_field(folder: Path, chars: int = 50_000) -> Path:
    """A plain title of 50,000 characters (under the front matter size limit, over the field limit)."""
    text = "---\n" + HEAD.format(doc_id="huge-field") + "title: " + "T" * chars + "\n---\n" + BODY
    path = folder / "huge-field.md"
    path.write_text(text, encoding="utf-8")
    return path


def _docx_bytes() -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = "Zip bomb"
    document.core_properties.author = "Hostile"
    document.add_paragraph("Lumbar MRI is indicated after six weeks of failed physical therapy.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_zip_bomb(folder: Path, megabytes: int = 571, name: str = "zip-bomb.docx") -> Path:
    """A valid DOCX whose extra XML part unpacks to ``megabytes`` MB (written streaming, level 9)."""
    path = folder / name
    with zipfile.ZipFile(io.BytesIO(_docx_bytes())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        chunk = b"<w:p><w:r><w:t>lol</w:t></w:r></w:p>" * 28_000  # ~1 MB
        info = zipfile.ZipInfo("word/bomb.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as part:
            for _ in range(megabytes):
                part.write(chunk)
    return path


def docx_many_entries(folder: Path, entries: int = 5000) -> Path:
    path = folder / "many-entries.docx"
    with zipfile.ZipFile(io.BytesIO(_docx_bytes())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        for i in range(entries):
            dst.writestr(f"customXml/many{i}.xml", "<a/>")
    return path


def docx_high_ratio(folder: Path, megabytes: int = 20) -> Path:
    """One part of zeros: a small total, but it expands about a thousand times."""
    path = folder / "high-ratio.docx"
    with zipfile.ZipFile(io.BytesIO(_docx_bytes())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/zeros.bin", b"\0" * (megabytes * 1_000_000))
    return path


def deep_html(folder: Path, depth: int = 50_000) -> Path:
    path = folder / "deep.html"
    path.write_text(
        "<html><head><title>Deep</title><meta name='publisher' content='Hostile'></head><body>"
        + "<div>" * depth
        + "Lumbar MRI is indicated."
        + "</div>" * depth
        + "</body></html>",
        encoding="utf-8",
    )
    return path


def deep_html_in_markdown(folder: Path, depth: int = 50_000) -> Path:
    path = folder / "deep-md.md"
    path.write_text(
        "---\n"
        + HEAD.format(doc_id="deep-md")
        + "title: Deep\n---\n"
        + "<div>" * depth
        + "x"
        + "</div>" * depth
        + BODY,
        encoding="utf-8",
    )
    return path


HIDDEN_SECRETS = ("SECRET-HIDDEN-ATTR", "SECRET-NOSCRIPT", "SECRET-TEMPLATE", "SECRET-DISPLAY-NONE", "SECRET-ARIA")


def hidden_markdown(folder: Path) -> Path:
    """Raw HTML in Markdown that a reader never sees (each secret would be quotable if indexed)."""
    path = folder / "hidden.md"
    path.write_text(
        "---\n"
        + HEAD.format(doc_id="hidden-md")
        + "title: Hidden text\n---\n"
        + "\n# Lumbar MRI policy\n\n"
        + "Lumbar MRI is indicated after six weeks of failed physical therapy."
        + " <span hidden>SECRET-HIDDEN-ATTR lumbar MRI is always indicated.</span>\n\n"
        + "<noscript>SECRET-NOSCRIPT lumbar MRI is always indicated.</noscript>\n\n"
        + "<template><p>SECRET-TEMPLATE lumbar MRI is always indicated.</p></template>\n\n"
        + '<div style="display: none">\nSECRET-DISPLAY-NONE lumbar MRI is always indicated.\n</div>\n\n'
        + '- Lumbar MRI requires red flags. <em aria-hidden="true">SECRET-ARIA always indicated</em>\n'
        + "- Lumbar MRI is not covered for acute low back pain without red flags.\n",
        encoding="utf-8",
    )
    return path


def pdf_stream_bomb(folder: Path, megabytes: int = 300) -> Path:
    """A one-page PDF whose content stream inflates to ``megabytes`` MB of spaces (a few hundred KB on disk)."""
    import zlib

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    writer.add_metadata({"/Title": "PDF bomb", "/Author": "Hostile"})
    compressor = zlib.compressobj(9)
    block = b" " * 1_000_000
    data = b"".join(compressor.compress(block) for _ in range(megabytes)) + compressor.flush()
    stream = StreamObject()
    stream._data = data  # already Flate-encoded
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    assert not isinstance(stream, DecodedStreamObject)
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = folder / "stream-bomb.pdf"
    with path.open("wb") as out:
        writer.write(out)
    return path


ALL = {
    "yaml alias bomb": yaml_alias_bomb,
    "yaml title alias": yaml_title_alias,
    "yaml deep nesting": yaml_deep_nesting,
    "yaml huge field": yaml_huge_field,
    "docx zip bomb": docx_zip_bomb,
    "docx many entries": docx_many_entries,
    "docx high ratio": docx_high_ratio,
    "pdf stream bomb": pdf_stream_bomb,
    "deep html": deep_html,
    "deep html in markdown": deep_html_in_markdown,
}
