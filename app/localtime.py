"""Times are stored in UTC; dates that decide rules are local dates in China (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The calendar date in Asia/Shanghai of an instant (a naive value is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).date()


def today_local() -> date:
    """Today in Asia/Shanghai."""
    return datetime.now(LOCAL_TZ).date()
