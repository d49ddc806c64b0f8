"""Request bodies for status reports (responses are the service's plain data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from charter.api.schemas import In, Patch


class DraftIn(In):
    period: str = Field(description="week or month")
    date: dt.date | None = Field(None, description="a day of the period (default: today)")


class NarrativePatch(Patch):
    version: int
    narrative: str = Field(description="Markdown; rendered sanitised", max_length=20000)


class PublishIn(In):
    version: int


class ThresholdsIn(In):
    version: int = Field(description="the settings version you read (0 before the first change)")
    overrides: dict[str, Any] = Field(default_factory=dict, description="threshold name -> number")
