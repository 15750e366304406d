"""User interfaces: the ``guideqa`` command line, the Streamlit chat and editor page, terminal rendering.

Consumers only: answers come from ``assistant.service.Assistant``, editor reads and actions from
``editorial.catalog.Catalog``; no domain rule is restated here.
"""
