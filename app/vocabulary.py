"""Words the whole product shares, each defined once: alert levels, roles, jurisdiction levels.

Pure: imports neither Flask nor SQLAlchemy, so rules, schemas and models all take their values from here.
"""

from __future__ import annotations

from typing import Final

# Heavy-pollution weather alert levels, lowest first (000#34, 002#14, 003#34: 黄色/橙色/红色 预警; "blue"
# is kept for plans that use a 蓝色 level). "none" means no alert in force.
ALERT_LEVELS: Final = ("none", "blue", "yellow", "orange", "red")
ALERT_RANK: Final[dict[str, int]] = {level: rank for rank, level in enumerate(ALERT_LEVELS)}
ALERT_ZH: Final[dict[str, str]] = {"none": "无", "blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}

# Who uses Lantian. Supervisors and admins see everything in their jurisdictions; inspectors see their own work.
ROLES: Final = ("inspector", "supervisor", "admin")
SUPERVISING_ROLES: Final = ("supervisor", "admin")

# The administrative tree: province → city → district/county → sub-district/town.
JURISDICTION_LEVELS: Final = ("province", "city", "county", "township")
