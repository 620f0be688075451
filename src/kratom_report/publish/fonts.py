"""The renderer's fonts: those the stylesheets declare and the shipped ones, never the machine's.

WeasyPrint finds every face through fontconfig, whose own configuration adds the system's and the
user's font folders. A weight or style no ``@font-face`` declares, a generic family (``monospace``
for inline code) or a character no declared face has would then be taken from whatever fonts the
machine has, embedded, and the bytes of the PDF would depend on the machine. So each render gets a
private configuration that includes nothing and lists one font folder, the shipped fonts: the
fonts are the ``@font-face`` faces WeasyPrint registers itself (the shipped ones of the built-in
stylesheet and the theme's), and the generic families point at the shipped families.

The shipped folder is there so that the renderer never has no font at all (WeasyPrint crashes
then, for example with a report stylesheet that declares none), and it gives code its font:
Noto Sans Mono is not declared with ``@font-face``, which would inline a megabyte into every print
HTML. Inter's faces there are rejected at scan time: the only Inter is the stylesheet's
``@font-face`` one (which a report may replace with its own ``templates/fonts`` files). A second
family of the same faces, as an earlier version had under another name, was chosen or not for a
fallback depending on what the process had rendered before it forked.

fontconfig reads ``FONTCONFIG_FILE`` when a configuration is loaded, which WeasyPrint does for
each ``FontConfiguration``: pdf.py sets the variable only while that object is made (so it does
not matter that importing WeasyPrint loaded the system's configuration once already).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from ..atomic import scratch_folder
from ..compose.templating import PACKAGE_TEMPLATES

SHIPPED_FONTS = PACKAGE_TEMPLATES / "fonts"
SANS = "Inter"
MONO = "Noto Sans Mono"
# Shipped files the scan leaves out: their family is declared with @font-face instead.
_FLOOR = ("Inter-",)

# The CSS generic families; anything else unknown falls to sans-serif (as fontconfig's own
# 49-sansserif.conf does), so every family resolves to a declared or shipped face.
_GENERIC = {"sans-serif": SANS, "serif": SANS, "cursive": SANS, "fantasy": SANS,
            "system-ui": SANS, "ui-sans-serif": SANS, "ui-serif": SANS, "ui-rounded": SANS,
            "math": SANS, "emoji": SANS, "fangsong": SANS,
            "monospace": MONO, "ui-monospace": MONO}

# Variables that would make fontconfig read another file, or prefix the paths it reads.
_ENVIRONMENT = ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")


def config_text(cache: Path, shipped: Path = SHIPPED_FONTS) -> str:
    """A fontconfig configuration: no include, the shipped folder alone (without the faces the
    stylesheet declares), generic families."""
    folder = escape(str(shipped))
    renames = ("  <selectfont><rejectfont>\n"
               + "".join(f"    <glob>{folder}/{prefix}*</glob>\n" for prefix in _FLOOR)
               + "  </rejectfont></selectfont>\n")
    aliases = "".join(
        f'  <alias binding="same"><family>{generic}</family><prefer><family>{family}</family>'
        + "</prefer></alias>\n" for generic, family in _GENERIC.items())
    return (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<fontconfig>\n"
        f"  <dir>{folder}</dir>\n"
        f"  <cachedir>{escape(str(cache))}</cachedir>\n"
        f"{renames}"
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
    """While inside, a fontconfig configuration loaded in this process is :func:`config_text`
    (with its cache in a folder that goes when the configuration is loaded)."""
    saved = {name: os.environ.get(name) for name in _ENVIRONMENT}
    folder = scratch_folder("kratom-report-fonts-")
    try:
        conf = folder / "fonts.conf"
        conf.write_text(config_text(folder / "cache"), encoding="utf-8")
        for name in _ENVIRONMENT:
            os.environ.pop(name, None)
        os.environ["FONTCONFIG_FILE"] = str(conf)
        yield conf
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(folder, ignore_errors=True)
