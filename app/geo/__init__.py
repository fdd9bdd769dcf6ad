"""Map layer: coordinate systems, GeoJSON import validation, jurisdictions and zones (issue 4).

``crs`` and ``geojson`` are pure modules (no Flask, no SQLAlchemy); the database
models and routes build on them.
"""
