"""Demo data for ``make run``: a jurisdiction tree and one user per role. DEMO ONLY."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.list_import import ListMeta, import_reduction_list
from app.alerts.models import ReductionList
from app.auth.models import User
from app.auth.principal import Principal
from app.auth.services import create_user
from app.checklists.parameters import checklist_parameters_for, set_checklist_parameter
from app.checklists.versions import current_hash
from app.demo.geo_seed import DATA_DIR, load_demo_geography
from app.jurisdictions.services import upsert_jurisdiction

# 河南省 → 焦作市 → 山阳区 → sub-districts. Town-level codes follow the GB/T 10114 pattern
# (county code + 3 digits); they are demo codes, not checked against the official list.
DEMO_JURISDICTIONS = [
    ("410000", "河南省", "Henan Province", "province", None),
    ("410800", "焦作市", "Jiaozuo City", "city", "410000"),
    ("410811", "山阳区", "Shanyang District", "county", "410800"),
    ("410811001", "焦东街道", "Jiaodong Subdistrict", "township", "410811"),
    ("410811002", "焦西街道", "Jiaoxi Subdistrict", "township", "410811"),
    ("410811003", "东方红街道", "Dongfanghong Subdistrict", "township", "410811"),
    ("410811004", "太行街道", "Taihang Subdistrict", "township", "410811"),
    ("410811005", "艺新街道", "Yixin Subdistrict", "township", "410811"),
    ("410811006", "光亚街道", "Guangya Subdistrict", "township", "410811"),
    ("410811007", "定和街道", "Dinghe Subdistrict", "township", "410811"),
    ("410811008", "新城街道", "Xincheng Subdistrict", "township", "410811"),
    ("410811009", "百间房街道", "Baijianfang Subdistrict", "township", "410811"),
    ("410811010", "中星街道", "Zhongxing Subdistrict", "township", "410811"),
    ("410822", "博爱县", "Boai County", "county", "410800"),
    ("410883", "孟州市", "Mengzhou City", "county", "410800"),
]

# Printed at start by `make run`; never use these outside a demo.
DEMO_PASSWORD = "lantian-demo-2026"
DEMO_USERS = [
    ("demo.inspector", "inspector", ["410811"], "演示检查员 / Demo inspector"),
    ("demo.inspector2", "inspector", ["410811"], "演示检查员二 / Demo inspector 2"),
    ("demo.supervisor", "supervisor", ["410811"], "演示审核员 / Demo supervisor"),
    ("demo.admin", "admin", ["410000"], "演示管理员 / Demo admin"),
    ("demo.boai.supervisor", "supervisor", ["410822"], "博爱县演示审核员 / Boai demo supervisor"),
]


def load_demo_data(session: Session) -> list[str]:
    """Create the demo tree and accounts if missing; returns human-readable lines."""
    report: list[str] = []
    for code, name_zh, name_en, level, parent in DEMO_JURISDICTIONS:
        upsert_jurisdiction(session, code=code, name_zh=name_zh, name_en=name_en, level=level, parent_code=parent)
    for username, role, codes, display in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(
                session,
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                jurisdiction_codes=codes,
                display_name=display,
            )
            report.append(f"demo user {username} ({role}) created")
    report.extend(load_demo_geography(session))
    report.extend(_demo_checklist_parameters(session))
    report.extend(_demo_reduction_list(session))
    return report


# An ILLUSTRATIVE emergency reduction list for the demo district: invented rows in the import format, so the
# demo shows alert-period items. No real list ships with Lantian (alerts.md §3.3: none was seen); the list
# is stored with ``illustrative`` set and every generated item says so.
DEMO_LIST = ListMeta(
    jurisdiction_code="410811",
    title="（演示）山阳区重污染天气应急减排示例清单（非真实清单）",
    doc_ref="演示数据，无文号",
    version="示例-2026",
    effective_from=date(2026, 10, 1),
    illustrative=True,
)


def _demo_reduction_list(session: Session) -> list[str]:
    exists = session.scalar(select(ReductionList.id).where(ReductionList.version == DEMO_LIST.version))
    admin = session.scalar(select(User).where(User.username == "demo.admin"))
    if exists is not None or admin is None:
        return []
    principal = Principal(admin.id, admin.username, admin.role, ("/410000/",))
    data = (DATA_DIR / "reduction_list_illustrative.csv").read_bytes()
    lst = import_reduction_list(session, principal, DEMO_LIST, data, "text/csv")
    return [f"demo reduction list {lst.version} ({lst.row_count} rows, illustrative) imported for 410811"]


# No Henan or Jiaozuo plan gives the floor area above which a building site needs online
# monitoring; the demo borrows Erqi's 5,000 m² (003#23) so the demo shows the rule working.
# A real jurisdiction sets its own with `flask checklists set-param`.
DEMO_CHECKLIST_PARAMETERS = [
    ("410811", "construction_dust.henan", "monitoring_min_floor_area_m2", 5000),
]


def _demo_checklist_parameters(session: Session) -> list[str]:
    report = []
    for code, key, name, value in DEMO_CHECKLIST_PARAMETERS:
        if current_hash(session, key) is None:  # checklists not synced yet: nothing to parameterise
            continue
        if checklist_parameters_for(session, [code], key).get(name) != value:
            set_checklist_parameter(session, code, key, name, value)
            report.append(f"demo parameter {key}.{name} = {value} for {code} (borrowed from 003#23)")
    return report
