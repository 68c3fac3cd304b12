"""Filter forms of list pages: dates and times typed by the user, read as UTC, with the error next to the field."""

from datetime import UTC, date, datetime, time, timedelta


def when(values: dict[str, str], errors: dict[str, str], name: str) -> datetime | None:
    """A `datetime-local` input (YYYY-MM-DDTHH:MM[:SS]) as a UTC datetime; '' is None."""
    text = (values.get(name) or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date and time as YYYY-MM-DD HH:MM (UTC)."
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(values: dict[str, str], errors: dict[str, str], name: str, end: bool = False) -> datetime | None:
    """A `date` input as the start of that day in UTC; `end`: the start of the next day (the day is included)."""
    text = (values.get(name) or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None
    start = datetime.combine(value, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def ordered(errors: dict[str, str], start: datetime | None, end: datetime | None, end_name: str) -> None:
    if start is not None and end is not None and end <= start:
        errors[end_name] = "The end must be after the start."
