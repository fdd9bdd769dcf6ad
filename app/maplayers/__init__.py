"""Map layers: GeoJSON (bbox) and vector tiles (ST_AsMVT) of sites, inspections and failed findings."""
