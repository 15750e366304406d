"""Patient facts read from text: procedures, thresholds and stated numbers, age and sex, negated findings.

Plain functions over strings (``core.textnorm`` does the normalising); the question parser, the
rating-row matcher and the criteria judge all read a question or a guideline sentence through them.
"""
