"""Demo data for ``make run``: a synthetic geography of 焦作市山阳区 and about 50 demo sites.

Everything under ``data/`` is DEMO DATA (演示数据): the polygons are synthetic, the sites and
operators are invented, and the zone "documents" are placeholders, not real government files.
Regenerate with ``python -m scripts.build_demo_geography`` (a developer tool outside the app).
"""
