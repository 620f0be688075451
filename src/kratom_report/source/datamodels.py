"""Strict models of a figure's data files (timelines, series, tile maps) and tile layouts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import Field, StrictInt, StrictStr, field_validator, model_serializer

from .modelbase import Strict

_YEAR_MONTH_DAY = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
_SOURCE = "Citations for it, like [@key], cited by the figure's source: auto; optional."
_SOURCES = "Reference keys for it, cited by the figure's source: auto."
_STATUS = "The id of its status, one of the file's statuses."
_SINCE = "Since when the status holds, for the authors; optional."
_LAW = "The law behind the status, for the authors; optional."
_NOTE = "A note for the authors; optional."


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
    date: Annotated[StrictStr, Field(pattern=_YEAR_MONTH_DAY)] | dt.date = Field(
        description="When it happened: a year, a month (2016-08) or a day.")
    label: StrictStr = Field(description="What happened, printed on the timeline.")
    source: StrictStr | None = Field(default=None, description=_SOURCE)

    _date_exists = field_validator("date")(real_date)


class Point(Strict):
    x: int | float | StrictStr = Field(description="The point's place on the x axis.")
    y: int | float = Field(description="The point's value.")


class Series(Strict):
    label: StrictStr = Field(description="The series' name, printed in the figure.")
    unit: StrictStr = Field(description="The unit of the values, printed in the figure.")
    source: StrictStr | None = Field(default=None, description=_SOURCE)
    points: list[Point] = Field(min_length=1, description="The points, each {x, y}.")


class Status(Strict):
    id: StrictStr = Field(description="The status's id, named by each region's status.")
    label: StrictStr = Field(description="The status as the legend prints it.")
    mark: StrictStr | None = Field(
        default=None, description="A short mark drawn on each tile of this status; optional.")


class StateEntry(Strict):
    state: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")] = Field(
        description="The state's two-letter postal code, like TX.")
    status: StrictStr = Field(description=_STATUS)
    sources: list[StrictStr] = Field(default=[], description=_SOURCES)
    since: StrictStr | int | None = Field(default=None, description=_SINCE)
    law: StrictStr | None = Field(default=None, description=_LAW)
    note: StrictStr | None = Field(default=None, description=_NOTE)


class RegionEntry(Strict):
    """A tile map's region: ``id`` as its layout names it (``states:`` items use ``state``)."""

    id: StrictStr = Field(description="The region's id, as its layout names it.")
    status: StrictStr = Field(description=_STATUS)
    sources: list[StrictStr] = Field(default=[], description=_SOURCES)
    since: StrictStr | int | None = Field(default=None, description=_SINCE)
    law: StrictStr | None = Field(default=None, description=_LAW)
    note: StrictStr | None = Field(default=None, description=_NOTE)


class DataFile(Strict):
    title: StrictStr = Field(description="What the data is, for the authors.")
    as_of: StrictStr | dt.date = Field(
        description="The date the data describes, printed with the figure; it ages by stale_after.")
    checked: dt.date | None = Field(default=None, description=(
        "When an author last confirmed the data in its sources, printed with the figure."))
    sources: list[StrictStr] = Field(default=[], description=(
        "The keys of the references the data comes from, cited by a source: auto."))
    caveat: StrictStr | None = Field(default=None, description="A caveat printed with the figure.")
    events: list[Event] | None = Field(default=None, description="A timeline's events, in order.")
    series: list[Series] | None = Field(default=None, description="A series figure's lines.")
    statuses: list[Status] | None = Field(default=None, description="A tile map's statuses.")
    states: list[StateEntry] | None = Field(default=None, description="A US state map's states.")
    regions: list[RegionEntry] | None = Field(default=None, description="A tile map's regions.")

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
    id: StrictStr = Field(description="The region's id, as data files name it.")
    label: StrictStr = Field(description="The label printed on the tile.")
    row: Annotated[StrictInt, Field(ge=0)] = Field(description="The tile's row, from 0 at the top.")
    col: Annotated[StrictInt, Field(ge=0)] = Field(
        description="The tile's column, from 0 at the left.")


class LayoutFile(Strict):
    """A tile map's grid: where each region's square sits, and the label printed on it."""

    title: StrictStr | None = Field(default=None, description="What the layout shows, for authors.")
    regions: list[LayoutTile] = Field(min_length=1, description="One tile per region.")
