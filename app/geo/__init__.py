"""The GIS toolkit: coordinate systems, GeoJSON validation and the import machinery, and the map layer's URL space.

Pure modules (no Flask, no SQLAlchemy): ``crs``, ``geometry``, ``properties``, ``divisions``,
``zone_properties``, ``report``, ``features`` and ``streaming``. The import (``importer`` and the
``import_*``/``postgis_check`` modules it calls) writes through the jurisdictions and zones features.
"""
