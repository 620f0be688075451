"""Finish a PDF's metadata where WeasyPrint 70 leaves gaps checkers report.

* XMP gets ``dc:language`` (the document's language, as ``/Lang`` already says): PDF/UA and
  PDF/A validators read it there.
* The archival PDF/A-3a variant also claims PDF/UA-1 (``pdfuaid:part``): it carries the same
  tagged structure as the default variant, which passes the PDF/UA checks.
* Each embedded file is listed once in the catalog's ``/AF`` (WeasyPrint lists them twice).

The XMP packet is edited as text, so nothing else in it (dates, producer) changes, and the file
is saved with a deterministic /ID: the same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

import pikepdf

_RDF_END = "</rdf:RDF>"
_UA_NS = 'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'


def finish_metadata(pdf: bytes, language: str, *, archival: bool) -> bytes:
    """The PDF with ``dc:language`` in its XMP, and for ``archival`` a PDF/UA claim and one /AF."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        stream = doc.Root.get("/Metadata")
        if not isinstance(stream, pikepdf.Stream):
            return pdf
        xmp = stream.read_bytes().decode("utf-8")
        changed = False
        if "<dc:language>" not in xmp and _RDF_END in xmp:
            xmp = xmp.replace(_RDF_END, (
                '<rdf:Description rdf:about=""><dc:language><rdf:Bag><rdf:li>'
                f"{escape(language)}</rdf:li></rdf:Bag></dc:language></rdf:Description>"
                + _RDF_END), 1)
            changed = True
        if archival and "pdfuaid:part" not in xmp and _RDF_END in xmp:
            xmp = re.sub(r"<rdf:RDF ", f"<rdf:RDF {_UA_NS} ", xmp, count=1)
            xmp = xmp.replace(_RDF_END, (
                '<rdf:Description rdf:about="" pdfuaid:part="1" />' + _RDF_END), 1)
            changed = True
        if changed:
            stream.write(xmp.encode("utf-8"))
        changed = _dedupe_af(doc) or changed
        if not changed:
            return pdf
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()


def _dedupe_af(doc: pikepdf.Pdf) -> bool:
    """Keep the first file specification of each attached file name."""
    files = doc.Root.get("/AF")
    if not isinstance(files, pikepdf.Array):
        return False
    names: set[str] = set()
    kept = []
    for spec in files:
        name = str(spec.get("/UF", spec.get("/F", ""))) if isinstance(spec, pikepdf.Dictionary) \
            else ""
        if name and name in names:
            continue
        names.add(name)
        kept.append(spec)
    if len(kept) == len(files):
        return False
    doc.Root.AF = pikepdf.Array(kept)
    return True
