"""What one document may cost to read: the limits that stop hostile files, each a setting.

Every limit is a field of :class:`core.settings.Settings` with its ``GUIDEQA_*`` variable and the
same default as here; each refusal is a :class:`core.records.DocumentError` that names the file,
the limit and its variable, raised before the expensive step (YAML expansion, unzipping, XML or
HTML tree walking) runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings

MAX_DOCUMENT_BYTES = 50_000_000


@dataclass(frozen=True)
class Limits:
    """The limits for one document read (defaults: the settings' defaults)."""

    max_bytes: int = MAX_DOCUMENT_BYTES
    front_matter_bytes: int = 64_000
    yaml_depth: int = 12
    yaml_nodes: int = 5000
    field_chars: int = 4000
    field_items: int = 1000
    uncompressed_bytes: int = 200_000_000
    zip_entries: int = 2000
    zip_ratio: float = 200
    html_depth: int = 200
    pdf_pages: int = 3000

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_bytes=settings.max_document_bytes,
            front_matter_bytes=int(settings.max_front_matter_kb * 1000),
            yaml_depth=settings.max_yaml_depth,
            yaml_nodes=settings.max_yaml_nodes,
            field_chars=settings.max_meta_field_chars,
            field_items=settings.max_meta_items,
            uncompressed_bytes=int(settings.max_uncompressed_mb * 1_000_000),
            zip_entries=settings.max_zip_entries,
            zip_ratio=settings.max_zip_ratio,
            html_depth=settings.max_html_depth,
            pdf_pages=settings.max_pdf_pages,
        )
