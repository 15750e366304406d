"""Evals: run GuideQA against gold determinations and report numbers, plots and misses."""
