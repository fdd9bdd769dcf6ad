"""The values PostgreSQL writes into a nearby-sites item (app/sites/queries.py) read back as Python writes them:
a timestamp as ``datetime.isoformat()`` of what psycopg returns, in any session time zone; a distance as the
float Python would dump (``0.0``, not ``0``)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import Float, Text, bindparam, cast, select, text
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.orm import Session

from app.sites.queries import _float_json, _iso_timestamp

TIMESTAMPS = [
    "2026-01-02 03:04:05+00",  # no fraction: Python writes none
    "2026-01-02 03:04:05.0001+00",  # leading zeros of the fraction kept
    "2026-12-01 23:59:59.999999+00",
    "1999-07-01 12:00:00.5+08",
]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "Asia/Kolkata", "America/St_Johns"])
def test_timestamps_read_as_python_writes_them(session: Session, zone: str) -> None:
    session.execute(text("SELECT set_config('TimeZone', :zone, true)"), {"zone": zone})
    ts = bindparam("ts", type_=TIMESTAMP(timezone=True))
    for value in TIMESTAMPS:
        moment, written = session.execute(select(ts, _iso_timestamp(ts)), {"ts": value}).one()
        assert isinstance(moment, datetime)
        assert written == moment.isoformat(), (zone, value)


@pytest.mark.parametrize("value", [0.0, 1.0, 1234.0, 0.1, 123.456, 2999.9999999999995, 1e-05, 2.5e-07, 19999999.25])
def test_distances_read_as_python_writes_them(session: Session, value: float) -> None:
    written = session.scalar(select(_float_json(bindparam("d", type_=Float))), {"d": value})
    # psycopg hands json over decoded; the JSON text PostgreSQL wrote must decode to the same float, as a float.
    assert type(written) is float and written == value
    assert session.scalar(select(cast(_float_json(bindparam("d", type_=Float)), Text)), {"d": value}) == json.dumps(
        value
    )
