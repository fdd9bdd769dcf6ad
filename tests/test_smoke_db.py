"""The test database is real PostGIS, built by the migrations, and tests are isolated."""

from sqlalchemy import text


def test_postgis_is_installed(session) -> None:
    version = session.execute(text("SELECT postgis_lib_version()")).scalar()
    assert version.startswith("3.")


def test_spatial_function_really_runs(session) -> None:
    # A real geography distance, not a mock: 0.01° of latitude ≈ 1.11 km.
    metres = session.execute(
        text(
            "SELECT ST_Distance('SRID=4326;POINT(113.25 35.22)'::geography, 'SRID=4326;POINT(113.25 35.23)'::geography)"
        )
    ).scalar()
    assert 1100 < metres < 1120


def test_commit_in_one_test(session, tree) -> None:
    assert session.execute(text("SELECT count(*) FROM jurisdictions")).scalar() == len(tree)


def test_is_not_seen_in_the_next(session) -> None:
    assert session.execute(text("SELECT count(*) FROM jurisdictions")).scalar() == 0
