"""Synthetic, clearly fake briefings for the benchmark: N sections, ~3 references per section,
~1 figure per 5 sections (timeline, series and state map in turn), two editions.

Everything is deterministic (seeded) and topic-neutral: filler prose built from a small generic
vocabulary, fictional authors, and references that point at https://example.org/. Nothing here
says anything about any real subject.

    python benchmarks/synth.py OUT_DIR --sections 40
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

EDITIONS = (
    {"id": "general", "title": "General edition", "audience": "general readers",
     "accent": "#1d5b82"},
    {"id": "specialist", "title": "Specialist edition", "audience": "specialist readers",
     "accent": "#6b3a64"},
)
FIGURE_KINDS = ("timeline", "series", "state-map")
KINDS_CYCLE = ("evidence", "guidance", "policy")

_NOUNS = ("sample", "measure", "process", "result", "method", "factor", "record", "value",
          "pattern", "group", "period", "setting", "outcome", "approach", "series", "source",
          "estimate", "option", "review", "model", "survey", "change", "report", "item")
_ADJS = ("general", "typical", "limited", "broad", "recent", "earlier", "small", "large",
         "stable", "variable", "common", "specific", "overall", "initial", "later", "modest")
_VERBS = ("describes", "suggests", "compares", "follows", "reports", "covers", "includes",
          "examines", "summarises", "indicates", "lists", "outlines", "considers", "tracks")
_LINKS = ("in each", "across the", "within a", "for every", "after the", "before the",
          "alongside the", "without a", "between the", "over the")
_FAMILIES = ("Example", "Sample", "Placeholder", "Fictional", "Testcase", "Dummy", "Mockup",
             "Specimen", "Template", "Generic", "Standin", "Surrogate")
_GIVEN = ("A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "J.", "K.")
_STATES = ("AK", "ME", "WI", "VT", "NH", "WA", "ID", "MT", "ND", "MN", "IL", "MI", "NY", "MA",
           "OR", "NV", "WY", "SD", "IA", "IN", "OH", "PA", "NJ", "CT", "RI", "CA", "UT", "CO",
           "NE", "MO", "KY", "WV", "VA", "MD", "DE", "AZ", "NM", "KS", "AR", "TN", "NC", "SC",
           "DC", "OK", "LA", "MS", "AL", "GA", "HI", "TX", "FL")


class _Filler:
    """Neutral filler sentences; citations appended to some of them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.turn = 0

    def words(self, lo: int, hi: int) -> str:
        r = self.rng
        out: list[str] = []
        while len(out) < r.randint(lo, hi):
            out += [r.choice(_ADJS), r.choice(_NOUNS), r.choice(_VERBS), "the", r.choice(_NOUNS),
                    r.choice(_LINKS), r.choice(_NOUNS)]
        return " ".join(out)

    def sentence(self, cite: str | None = None) -> str:
        text = self.words(12, 22)
        text = text[0].upper() + text[1:]
        return f"{text} {cite}." if cite else f"{text}."

    def paragraph(self, keys: list[str], n: int) -> str:
        sentences = []
        for i in range(n):
            cite = None
            if keys and i % 2 == 1:  # keys in rotation, so every reference is cited
                picked = [keys[(self.turn + j) % len(keys)]
                          for j in range(min(len(keys), self.rng.choice((1, 1, 2))))]
                self.turn += len(picked)
                cite = "[" + "; ".join(f"@{k}" for k in picked) + "]"
            sentences.append(self.sentence(cite))
        return " ".join(sentences)

    def title(self, lo: int = 2, hi: int = 4) -> str:
        words = [self.rng.choice(_ADJS + _NOUNS) for _ in range(self.rng.randint(lo, hi))]
        return " ".join(words).capitalize()


def _ref_key(i: int) -> str:
    return f"example{i:04d}"


def _references(count: int, rng: random.Random) -> list[dict]:
    refs = []
    for i in range(1, count + 1):
        authors = [{"family": rng.choice(_FAMILIES), "given": rng.choice(_GIVEN)}
                   for _ in range(rng.randint(1, 5))]
        refs.append({
            "key": _ref_key(i),
            "type": "article-journal",
            "author": authors,
            "title": f"Fictional reference number {i} for benchmarking a document generator",
            "container-title": "Journal of Placeholder Studies",
            "container-title-short": "J Placeholder Stud",
            "issued": 2000 + i % 25,
            "volume": str(1 + i % 40),
            "issue": str(1 + i % 6),
            "page": f"{10 + i}-{20 + i}",
            "URL": f"https://example.org/fictional-reference/{i}",
            "study_design": "fictional",
            "topics": ["benchmark"],
            "confidence": "high",
        })
    return refs


def _timeline(keys: list[str], n: int) -> dict:
    return {
        "title": f"Fictional milestones {n} (synthetic data)",
        "as_of": "2026-01",
        "sources": keys[:2],
        "events": [{"date": f"{2000 + 2 * i}-0{1 + i % 9}",
                    "label": f"Fictional milestone number {i + 1}",
                    "source": f"[@{keys[i % len(keys)]}]"} for i in range(10)],
    }


def _series(keys: list[str], n: int) -> dict:
    return {
        "title": f"Fictional counts per year {n} (synthetic data)",
        "as_of": "2026-01",
        "sources": keys[:2],
        "series": [
            {"label": "Fictional count A", "unit": "items per year", "source": f"[@{keys[0]}]",
             "points": [{"x": 2010 + j, "y": 10 + 7 * j + (j * j) % 5} for j in range(8)]},
            {"label": "Fictional count B", "unit": "items per year", "source": f"[@{keys[1]}]",
             "points": [{"x": 2011 + j, "y": 40 + 3 * j} for j in range(7)]},
        ],
    }


def _state_map(keys: list[str], n: int) -> dict:
    statuses = [{"id": "category-a", "label": "Fictional category A", "mark": "A"},
                {"id": "category-b", "label": "Fictional category B", "mark": "B"},
                {"id": "category-c", "label": "Fictional category C", "mark": "C"},
                {"id": "not-verified", "label": "Not verified", "mark": "?"}]
    states = [{"state": s, "status": statuses[i % len(statuses)]["id"],
               "since": str(2000 + i % 20), "law": f"Fictional rule {i + 1} (synthetic)",
               "note": "Synthetic entry for benchmarking only."}
              for i, s in enumerate(_STATES)]
    return {"title": f"Fictional categories by region {n} (synthetic data)", "as_of": "2026-01",
            "caveat": "Synthetic data for benchmarking; describes nothing real.",
            "sources": keys[:2], "statuses": statuses, "states": states}


_DATA = {"timeline": _timeline, "series": _series, "state-map": _state_map}


def _section(n: int, sid: str, keys: list[str], filler: _Filler,
             figure: tuple[str, str] | None) -> dict:
    """About one page: prose with a subheading, sometimes a callout, table or evidence table."""
    cite = f"[@{keys[0]}]"
    blocks: list[dict] = [{
        "type": "markdown",
        "text": (f"{filler.paragraph(keys, 5)}\n\n## {filler.title()}\n\n"
                 f"{filler.paragraph(keys, 4)}\n"),
    }]
    # The specialist edition gets an extra paragraph in every other section, so the two
    # editions differ in length as real editions do.
    if n % 2 == 0:
        blocks.append({"type": "markdown", "audiences": ["specialist"],
                       "text": filler.paragraph(keys, 4) + "\n"})
    if n % 3 == 0:
        blocks.append({"type": "callout", "title": "Practice point (fictional)",
                       "text": filler.sentence(cite), "audiences": ["general"]})
    if n % 4 == 1:
        blocks.append({
            "type": "table", "caption": f"Fictional comparison {n}",
            "header": ["Option", "Benefit", "Trade-off"],
            "rows": [[filler.title(1, 2), filler.sentence(f"[@{k}]"), filler.sentence()]
                     for k in keys[:3]],
            "source": f"[@{keys[-1]}]",
        })
    if n % 6 == 2:
        blocks.append({
            "type": "evidence_table", "caption": f"Fictional studies {n}",
            "rows": [{"study": f"[@{k}]", "design": "fictional design", "n": 100 + 37 * j,
                      "population": filler.words(4, 6), "finding": filler.sentence(),
                      "certainty": ("high", "moderate", "low", "very-low")[j % 4]}
                     for j, k in enumerate(keys[:3])],
        })
    if figure is not None:
        kind, data = figure
        blocks.append({
            "type": "figure", "kind": kind, "data": data,
            "caption": f"Fictional {kind} figure in section {n}",
            "alt": f"A synthetic {kind} chart of fictional data, shown for benchmarking only.",
            "source": cite,
        })
    return {"id": sid, "title": f"Section {n}: {filler.title()}",
            "kind": KINDS_CYCLE[n % len(KINDS_CYCLE)], "blocks": blocks}


def generate(out: Path, sections: int, *, refs_per_section: int = 3, seed: int = 1) -> Path:
    """Write a complete synthetic report folder (``out/report/...``); returns ``out``."""
    rng = random.Random(seed)
    filler = _Filler(seed)
    report_dir = out / "report"
    (report_dir / "sections").mkdir(parents=True, exist_ok=True)
    (report_dir / "data").mkdir(parents=True, exist_ok=True)

    n_refs = max(3, refs_per_section * sections)
    all_keys = [_ref_key(i) for i in range(1, n_refs + 1)]
    section_ids = [f"part-{i:03d}" for i in range(1, sections + 1)]
    figures_done = 0
    for i, sid in enumerate(section_ids, start=1):
        keys = all_keys[(i - 1) * refs_per_section:i * refs_per_section] or all_keys[:3]
        figure = None
        if i % 5 == 3 or (sections < 5 and i == 1):  # ~1 per 5 sections, kinds in turn
            kind = FIGURE_KINDS[figures_done % len(FIGURE_KINDS)]
            figures_done += 1
            # One data file per figure, as a real report has: the same file drawn twice in one
            # edition gives duplicate SVG pattern ids (see benchmarks/RESULTS.md).
            figure = (kind, f"data/{kind}-{figures_done}.yaml")
            data = _DATA[kind](keys, figures_done)
            _dump(report_dir / figure[1], data)
        _dump(report_dir / "sections" / f"{sid}.yaml", _section(i, sid, keys, filler, figure))

    _dump(report_dir / "references.yaml", {"references": _references(n_refs, rng)})
    _dump(report_dir / "changelog.yaml", {"entries": [{
        "version": "1.0.0", "date": "2026-01-15",
        "changes": ["Synthetic release for benchmarking (fictional content)."]}]})
    editions = []
    for e, ed in enumerate(EDITIONS):
        editions.append({**ed, "cover_note": filler.sentence(),
                         "key_messages": [filler.sentence(f"[@{all_keys[(e + k) % n_refs]}]")
                                          for k in range(4)]})
    _dump(report_dir / "report.yaml", {
        "title": "Synthetic benchmark briefing",
        "subtitle": f"{sections} sections of fictional filler text",
        "slug": f"synthetic-{sections}",
        "version": "1.0.0",
        "language": "en",
        "authors": [{"name": "Benchmark Generator"}],
        "organisation": "Example Organisation (fictional)",
        "contact": "nobody@example.org",
        "licence": "CC-BY-4.0",
        "paper": "a4",
        "subject": "Synthetic document for performance measurement",
        "keywords": ["benchmark", "synthetic"],
        "max_file_mb": 50,
        "editions": editions,
        "sections": section_ids,
        "references": ["references.yaml"],
        "changelog": "changelog.yaml",
    })
    return out


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks (``|``), as an author would write it."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(path: Path, data: dict) -> None:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    path.write_text("# Synthetic benchmark data: fictional, describes nothing real.\n" + text,
                    encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sections", type=int, default=40)
    args = parser.parse_args()
    generate(args.out, args.sections)
    print(args.out)


if __name__ == "__main__":
    main()
