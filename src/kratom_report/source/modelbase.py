"""The base of every model of the report folder: an unknown key is an error, never ignored,
and a loaded value cannot change under a later stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)
