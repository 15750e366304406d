"""Decisions from evidence: rating rows (the 1-9 thirds rule, which row), criteria (met / not met / unknown), stance.

Every function here takes plain records (:mod:`core.records`, the parsed question, numbers) and
returns plain results: no store, no corpus reader, no model. Engines gather the records and
assemble the answer; what a record means for the verdict is decided here.
"""
