"""A tile map's data, checked before anything is drawn: its statuses (each a distinct fill, or
hatching for one that asserts nothing) and which status each region of the layout has."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ...source.tilelayout import TileLayout
from .common import require_list, require_str

# Six colour-blind-safe fills with evenly spaced lightness (viridis, L* 15 to 91), darkest first.
_STATUS_PALETTE = ("#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725")
# "Not verified" asserts nothing, so it gets a quiet light neutral (lighter than every palette
# colour it is used with) plus hatching, instead of a colour that would read as a finding.
_UNVERIFIED_FILL = "#e6e6e6"


class Status(NamedTuple):
    """One legend status; ``unverified`` statuses are hatched rather than given a colour."""

    sid: str
    label: str
    mark: str
    unverified: bool


def _is_unverified(status_id: str, label: str) -> bool:
    """Statuses that assert nothing get hatching so they never read as a finding."""
    return status_id == "not-verified" or label.lower().startswith("not verified")


def collect_statuses(statuses_raw: list[Any], kind: str) -> list[Status]:
    """Validate statuses; marks are limited to 2 characters because they must fit on a tile."""
    statuses: list[Status] = []
    seen_ids: set[str] = set()
    for i, item in enumerate(statuses_raw):
        where = f"{kind} status {i + 1}"
        sid = require_str(item, "id", where)
        label = require_str(item, "label", where)
        mark = require_str(item, "mark", where)
        if sid in seen_ids:
            raise ValueError(f"{kind} status id '{sid}' is defined twice")
        if len(mark) > 2:
            raise ValueError(f"{kind} status '{sid}' mark {mark!r} must be 1-2 characters")
        seen_ids.add(sid)
        statuses.append(Status(sid, label, mark, _is_unverified(sid, label)))
    return statuses


def status_fills(statuses: Sequence[Status], kind: str) -> dict[str, str]:
    """Assign fills that differ in lightness, refusing more statuses than can stay distinct."""
    regular = [s for s in statuses if not s.unverified]
    # With an unverified status the neutral takes the lightest slot, so drop the palette's
    # lightest colour (yellow) to keep every fill distinct in lightness.
    palette = _STATUS_PALETTE[:-1] if len(regular) < len(statuses) else _STATUS_PALETTE
    if len(regular) > len(palette):
        raise ValueError(
            f"{kind} supports at most {len(palette)} statuses besides 'not verified' "
            f"({len(_STATUS_PALETTE)} in all), got {len(regular)}"
        )
    fills: dict[str, str] = {}
    for i, status in enumerate(regular):
        # Spread the used colours across the palette to maximise lightness differences.
        spread = (len(palette) - 1) / max(1, len(regular) - 1)
        fills[status.sid] = palette[round(i * spread) if len(regular) > 1 else 0]
    for status in statuses:
        if status.unverified:
            fills[status.sid] = _UNVERIFIED_FILL
    return fills


def collect_regions(data: Mapping[str, Any], tiles: Mapping[str, Any],
                    by_id: Mapping[str, Status], kind: str,
                    layout: TileLayout) -> dict[str, str]:
    """Map region id -> status id, rejecting unknown ids, repeats and undefined statuses.

    ``states:`` items name their region ``state`` (the US map's first form); ``regions:``
    items name it ``id``.
    """
    key, id_key = ("regions", "id") if "regions" in data else ("states", "state")
    noun = "region" if key == "regions" else "state"
    assigned: dict[str, str] = {}
    for i, item in enumerate(require_list(data, key, kind)):
        where = f"{kind} {noun} {i + 1}"
        code = require_str(item, id_key, where)
        code = code.upper() if key == "states" else code
        sid = require_str(item, "status", f"{where} ({code})")
        if code not in tiles:
            if key == "states" and layout.name == "us-states":
                raise ValueError(f"{where}: '{code}' is not a US state or DC two-letter code")
            raise ValueError(f"{where}: '{code}' is not a region of {layout.described}")
        if code in assigned:
            raise ValueError(f"{kind} lists '{code}' more than once")
        if sid not in by_id:
            raise ValueError(f"{where} ({code}): status '{sid}' is not defined in 'statuses'")
        assigned[code] = sid
    return assigned
