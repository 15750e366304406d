"""The HTTP API (FastAPI): answers, documents, editor actions and CDS Hooks services (``guideqa serve``)."""
