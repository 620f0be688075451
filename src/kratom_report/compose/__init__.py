"""Compose: one validated project into each edition's self-contained HTML.

Takes a :class:`~kratom_report.source.project.Project` and an edition id and gives a
:class:`~.render.RenderedEdition`: the blocks that edition's audience selects, citations
numbered in reading order with the matching reference list, figures drawn as SVG, all rendered
through the (overridable) Jinja templates with CSS, fonts and images inline. Also the content
payload and fingerprint of an edition, and a page estimate. A report's theme becomes CSS and
a logo here, and every printed character is checked against the fonts. Nothing here writes a
file or starts the PDF engine, so ``check`` can run all of it.
"""
