"""References: the works a briefing cites, in the formats reference managers use.

Takes reference files (our YAML, CSL-JSON, BibTeX) and gives validated references by key, a
lint of what a reference manager would flag, where each reference is cited, CSL-JSON items,
bibliography entries as safe HTML (citeproc-py, with its known gaps worked around) and
BibTeX/CSL-JSON exports. It sits beside ``source``: it reads with the source stage's YAML loader
and models, and the source stage calls it to load a project's reference list.
"""
