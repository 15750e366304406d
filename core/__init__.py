"""Core: what every other folder shares and nothing else provides.

Settings, the record types (documents, chunks, evidence, stored revisions), text normalisation
and its vocabulary, clinical codes. Imports nothing from the project: the ground floor.
"""
