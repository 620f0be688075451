"""Source: what the authors wrote, read and validated.

Takes a report folder (``report/report.yaml``, sections, changelog, data files, the images and
tile map layouts figures name, the theme's logo, fonts and stylesheet) and gives a
validated :class:`~.project.Project`: pydantic models, each kept with the YAML document and
position it came from, so every later stage can say ``file:line:column`` about it. Reading is
strict and safe (no aliases, duplicate keys or unsafe tags); every problem is collected before
the run stops once. The Markdown *syntax* with ``[@key]`` citations lives here too, because
checking citations is part of validating the source. Reference files are read by the
``references`` stage beside this one.
"""
