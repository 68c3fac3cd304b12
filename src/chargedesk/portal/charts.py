"""Bar charts drawn on the server as inline SVG (no chart library, nothing from a CDN)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chargedesk.db import utcnow

DAYS = 30
WIDTH, HEIGHT, TOP = 600, 150, 14  # the SVG's viewBox; bars scale with the page


@dataclass
class Bar:
    day: date
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    title: str
    unit: str
    bars: list[Bar]
    peak: float
    total: float
    width: int = WIDTH
    height: int = HEIGHT


def window(days: int = DAYS) -> tuple[datetime, list[date]]:
    """The start of the first day and every day of the last `days` days, today included (UTC)."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=utcnow().tzinfo)
    return start, [first + timedelta(days=n) for n in range(days)]


def bars(title: str, unit: str, values: dict[date, float], days: list[date]) -> Chart:
    peak = max((values.get(d, 0) for d in days), default=0)
    slot = WIDTH / max(len(days), 1)
    out = []
    for n, d in enumerate(days):
        value = values.get(d, 0)
        height = (HEIGHT - TOP) * value / peak if peak else 0
        out.append(Bar(d, value, n * slot + slot * 0.1, HEIGHT - height, slot * 0.8, height))
    return Chart(title, unit, out, peak, sum(values.get(d, 0) for d in days))
