"""``flask geo import FILE --as jurisdictions|zones [--kind KIND] [--crs wgs84|gcj02|bd09]`` and ``flask geo export``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.context import set_actor
from app.errors import AppError
from app.extensions import current_session, db
from app.geo.importer import import_geojson
from app.geo.limits import ImportLimits
from app.jurisdictions.geojson_export import export_jurisdictions
from app.zones.geojson_export import export_zones

geo_cli = AppGroup("geo", help="Import and export jurisdiction boundaries and zones (GeoJSON).")


@geo_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "mode", type=click.Choice(["jurisdictions", "zones"]), required=True)
@click.option("--kind", default=None, help="Zone kind for features without properties.kind.")
@click.option("--crs", default="wgs84", type=click.Choice(["wgs84", "gcj02", "bd09"]), show_default=True)
def import_command(file: str, mode: str, kind: str | None, crs: str) -> None:
    """Import a FeatureCollection (streamed; all-or-nothing; audited)."""
    set_actor(None, "cli")
    try:
        with open(file, "rb") as fp:
            result = import_geojson(
                current_session(),
                fp,
                mode=mode,
                kind=kind,
                crs=crs,
                limits=ImportLimits.from_config(current_app.config).for_cli(),
            )
    except AppError as exc:  # ValidationFailed, or a limit (too deep, too many vertices)
        db.session.rollback()
        click.echo(f"rejected: {exc.detail_zh} / {exc.detail_en}", err=True)
        for e in exc.errors:
            click.echo(f"  {e.path}: [{e.code}] {e.message_zh} / {e.message_en}", err=True)
        raise SystemExit(1) from exc
    db.session.commit()
    for r in result.repairs:
        click.echo(f"repaired {r['path']}: {r['message_zh']} / {r['message_en']}")
    click.echo(
        f"{result.feature_count} features: {len(result.created)} created, {len(result.replaced)} replaced, "
        f"{len(result.unchanged)} unchanged; {result.sites_moved} sites moved"
    )


@geo_cli.command("export")
@click.argument("what", type=click.Choice(["jurisdictions", "zones"]))
@click.option("--crs", default="wgs84", type=click.Choice(["wgs84", "gcj02", "bd09"]), show_default=True)
def export_command(what: str, crs: str) -> None:
    """Print a FeatureCollection of every jurisdiction boundary or zone."""
    session = current_session()
    click.echo(
        export_jurisdictions(session, None, crs) if what == "jurisdictions" else export_zones(session, None, crs)
    )
