"""Strict models of a figure's data files (timelines, series, tile maps) and tile layouts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import Field, StrictInt, StrictStr, field_validator, model_serializer

from .modelbase import Strict


def real_date(value: Any) -> Any:
    """A date written as text ("2016-08-31", "2016-08") must name a day or month that exists."""
    if isinstance(value, str):
        m = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", value.strip())
        if m:
            try:
                dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
            except ValueError as exc:
                raise ValueError(f"invalid date '{value}': {exc}") from None
    return value


class Event(Strict):
    date: Annotated[StrictStr, Field(pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")] | dt.date
    label: StrictStr
    source: StrictStr | None = None

    _date_exists = field_validator("date")(real_date)


class Point(Strict):
    x: int | float | StrictStr
    y: int | float


class Series(Strict):
    label: StrictStr
    unit: StrictStr
    source: StrictStr | None = None
    points: list[Point] = Field(min_length=1)


class Status(Strict):
    id: StrictStr
    label: StrictStr
    mark: StrictStr | None = None


class StateEntry(Strict):
    state: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")]
    status: StrictStr
    sources: list[StrictStr] = []  # reference keys for this state: cited by a `source: auto`
    since: StrictStr | int | None = None
    law: StrictStr | None = None
    note: StrictStr | None = None


class RegionEntry(Strict):
    """A tile map's region: ``id`` as its layout names it (``states:`` items use ``state``)."""

    id: StrictStr
    status: StrictStr
    sources: list[StrictStr] = []  # reference keys for this region: cited by a `source: auto`
    since: StrictStr | int | None = None
    law: StrictStr | None = None
    note: StrictStr | None = None


class DataFile(Strict):
    title: StrictStr
    as_of: StrictStr | dt.date
    checked: dt.date | None = None  # when an author last confirmed the data in its sources
    sources: list[StrictStr] = []
    caveat: StrictStr | None = None
    events: list[Event] | None = None
    series: list[Series] | None = None
    statuses: list[Status] | None = None
    states: list[StateEntry] | None = None
    regions: list[RegionEntry] | None = None

    _as_of_exists = field_validator("as_of")(real_date)

    @model_serializer(mode="wrap")
    def _without_regions(self, handler: Any) -> Any:
        # A file without `regions` dumps as before it existed: same content fingerprint.
        out = handler(self)
        for key in ("regions", "checked"):  # unset keys added later stay out
            if isinstance(out, dict) and out.get(key) is None:
                out.pop(key, None)
        return out

    @property
    def kind(self) -> str | None:
        if self.events is not None:
            return "timeline"
        if self.series is not None:
            return "series"
        if self.states is not None or self.regions is not None:
            return "tile-map"
        return None

    def region_items(self) -> list[tuple[str, str, StateEntry | RegionEntry]]:
        """(list key, id, item) for each region a tile map lists, in file order."""
        if self.regions is not None:
            return [("regions", r.id, r) for r in self.regions]
        return [("states", s.state, s) for s in self.states or []]


class LayoutTile(Strict):
    id: StrictStr
    label: StrictStr
    row: Annotated[StrictInt, Field(ge=0)]
    col: Annotated[StrictInt, Field(ge=0)]


class LayoutFile(Strict):
    """A tile map's grid: where each region's square sits, and the label printed on it."""

    title: StrictStr | None = None
    regions: list[LayoutTile] = Field(min_length=1)
