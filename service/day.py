"""THE day a park is judged on: the one asked for, else the park's reference date, else today.

One parser and one error for every page, twin, export and command: a day is written
``YYYY-MM-DD`` and lies within the range the analyses can count in (they count days in
pandas' nanosecond timestamps, 1677–2262, and add periods of years to them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


class DayError(ValueError):
    """A day that cannot be judged: ``zh`` and ``en`` name the parameter, the value and what is allowed."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class DayRange:
    """The days the analyses can count in (``AS_OF_EARLIEST`` … ``AS_OF_LATEST``)."""

    earliest: dt.date = dt.date(1900, 1, 1)
    latest: dt.date = dt.date(2199, 12, 31)

    @classmethod
    def of(cls, earliest: object, latest: object) -> DayRange:
        return cls(dt.date.fromisoformat(str(earliest)), dt.date.fromisoformat(str(latest)))


def parse_day(value: str | dt.date | None, *, name: str = "as_of", within: DayRange = DayRange()) -> dt.date | None:
    """``value`` as a day within ``within`` (``None`` for nothing asked); :class:`DayError` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise DayError(f"{name} 必须是 YYYY-MM-DD 格式的日期，收到 {str(value)!r}",
                           f"{name} must be a date written YYYY-MM-DD, got {str(value)!r}") from None
    if not within.earliest <= value <= within.latest:
        raise DayError(f"{name} 必须在 {within.earliest} 至 {within.latest} 之间，收到 {value}",
                       f"{name} must be between {within.earliest} and {within.latest}, got {value}")
    return value


def day_to_judge(asked: dt.date | None, reference: object, *, today: Callable[[], dt.date] = dt.date.today) -> dt.date:
    """The day asked for, else the park's ``reference`` date (its meta ``reference_date``), else today."""
    if asked is not None:
        return asked
    if reference:
        try:
            return dt.date.fromisoformat(str(reference))
        except ValueError:
            pass  # a reference date the park holds but cannot be read judges today, as before
    return today()


def day_allowed(config) -> dict[str, str]:
    """What a day parameter may be (a JSON error's ``allowed``): a YYYY-MM-DD date within the configured range."""
    return {"format": "YYYY-MM-DD", "minimum": str(config["AS_OF_EARLIEST"]), "maximum": str(config["AS_OF_LATEST"])}
