"""The renderer's fonts: those the stylesheets declare, never the machine's.

WeasyPrint finds every face through fontconfig, whose own configuration adds the system's and the
user's font folders. A weight or style no ``@font-face`` declares, a generic family (``monospace``
for inline code) or a character no declared face has would then be taken from whatever fonts the
machine has, embedded, and the bytes of the PDF would depend on the machine. So each render gets a
private configuration that lists no font folder and includes nothing: the only fonts are the
``@font-face`` faces WeasyPrint registers itself (the shipped ones of the built-in stylesheet and
the theme's), and the generic families point at the shipped ones. A folder of shipped fonts is
deliberately not listed either: its faces would compete with a report's own ``templates/fonts``
files of the same family.

fontconfig reads ``FONTCONFIG_FILE`` when a configuration is loaded, which WeasyPrint does for
each ``FontConfiguration``: the variable is set only while that object is made.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SANS = "Inter"
MONO = "Noto Sans Mono"

# The CSS generic families; anything else unknown falls to sans-serif (as fontconfig's own
# 49-sansserif.conf does), so every family resolves to a declared face.
_GENERIC = {"sans-serif": SANS, "serif": SANS, "cursive": SANS, "fantasy": SANS,
            "system-ui": SANS, "ui-sans-serif": SANS, "ui-serif": SANS, "ui-rounded": SANS,
            "math": SANS, "emoji": SANS, "fangsong": SANS,
            "monospace": MONO, "ui-monospace": MONO}

# Variables that would make fontconfig read another file, or prefix the paths it reads.
_ENVIRONMENT = ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")


def config_text() -> str:
    """A fontconfig configuration with no font folder, no include and the generic families."""
    aliases = "".join(
        f'  <alias binding="same"><family>{generic}</family>'
        f"<prefer><family>{family}</family></prefer></alias>\n"
        for generic, family in _GENERIC.items())
    return (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<fontconfig>\n"
        '  <match target="pattern">\n'
        '    <test qual="all" name="family" compare="not_eq"><string>sans-serif</string></test>\n'
        '    <test qual="all" name="family" compare="not_eq"><string>serif</string></test>\n'
        '    <test qual="all" name="family" compare="not_eq"><string>monospace</string></test>\n'
        '    <edit name="family" mode="append_last"><string>sans-serif</string></edit>\n'
        "  </match>\n"
        f"{aliases}"
        "</fontconfig>\n")


@contextlib.contextmanager
def private_fontconfig() -> Iterator[Path]:
    """While inside, a fontconfig configuration loaded in this process is :func:`config_text`."""
    saved = {name: os.environ.get(name) for name in _ENVIRONMENT}
    with tempfile.TemporaryDirectory(prefix="kratom-report-fonts-") as folder:
        conf = Path(folder) / "fonts.conf"
        conf.write_text(config_text(), encoding="utf-8")
        for name in _ENVIRONMENT:
            os.environ.pop(name, None)
        os.environ["FONTCONFIG_FILE"] = str(conf)
        try:
            yield conf
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def font_configuration() -> Any:
    """A WeasyPrint ``FontConfiguration`` that knows no font but those a stylesheet declares."""
    from weasyprint.text.fonts import FontConfiguration

    with private_fontconfig():
        return FontConfiguration()
