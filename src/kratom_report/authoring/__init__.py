"""Authoring: tools for the people who keep a briefing, beside the build.

Scaffolds a new section, bumps the version and opens a draft changelog entry (keeping the
author's comments), computes statistics for ``check --stats``, and rebuilds on every saved
change (``watch``) or serves the web editions and reloads the open page (``preview``). These
call the pipeline (``build``) and never the other way round.
"""
