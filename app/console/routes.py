"""The supervisors' and admins' web console at /console/: one page shell and its scripts, nothing else.

Every datum the console shows and every action it takes goes through the public API (/api/v1) with the
signed-in user's bearer token, so the console sees exactly what a phone or a script with the same account would
see (roles, jurisdiction scope, 404 outside it). The shell carries no data and no inline script: its
Content-Security-Policy allows scripts, styles and fonts from this origin only.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, render_template

from app.console.basemap import Basemap, basemap_from_config, console_csp

EXTENSION_KEY = "lantian.console"

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def register_console(app: Flask) -> None:
    """Check the base-map settings once (a bad one stops the start, not a page) and mount /console/."""
    app.extensions[EXTENSION_KEY] = basemap_from_config(app.config)
    app.register_blueprint(bp)


@bp.get("/")
def shell() -> Response:
    """The console's single page; the scripts route by the URL's fragment (#/queue, #/inspections/…)."""
    basemap: Basemap = current_app.extensions[EXTENSION_KEY]
    html = render_template("console/index.html", basemap=basemap)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = console_csp(basemap)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
