"""UTC days and ISO weeks, the periods that caps, streaks and weekly boards are counted in."""

from datetime import UTC, date, datetime, timedelta


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def day_start(moment: datetime) -> datetime:
    moment = as_utc(moment)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week holding moment."""
    start = day_start(moment)
    return start - timedelta(days=start.weekday())


def week_key(moment: datetime) -> str:
    year, week, _ = as_utc(moment).isocalendar()
    return f"{year}-W{week:02d}"


def utc_date(moment: datetime) -> date:
    return as_utc(moment).date()
