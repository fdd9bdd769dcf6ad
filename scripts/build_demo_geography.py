"""Generate the DEMO geography of 焦作市山阳区 and ~50 demo sites (a developer tool, not run by the app).

    .venv/bin/python -m scripts.build_demo_geography      # rewrites app/demo/data/*.json

Everything produced is synthetic demo data (演示数据):

* ``shanyang_jurisdictions.geojson`` — the district 山阳区 (410811) and ten 街道 laid out as a
  jittered 5 × 2 grid around the district centre (about 113.25°E, 35.22°N, WGS-84). Names and
  codes match ``app/demo/seed.py``; the town-level codes are demo codes and the shapes and the
  arrangement of the sub-districts are invented, not the real boundaries.
* ``shanyang_zones.geojson`` — built-up area, fireworks ban, fuel ban, NRMM control area and an
  industrial cluster, each clipped to the district. The "designating documents" are placeholders.
* ``sites.json`` — demo sites of every kind with demo operators (valid, generated 统一社会信用代码)
  and kind-specific attributes named as in ``checklists/site_kinds.yaml``. Each site carries
  ``expected`` (township and zones computed here with shapely) so PostGIS derivation can be tested.

The output is deterministic (fixed seeds); rerunning gives identical files.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from app.sites.credit_code import make_credit_code

DATA_DIR = Path(__file__).resolve().parent.parent / "app" / "demo" / "data"
DISTRICT_CODE = "410811"
DEMO_NOTE_ZH = "演示数据：边界为虚构的示意图形，不代表真实行政区划或管控区范围"
DEMO_NOTE_EN = "Demo data: synthetic shapes, not real administrative or zone boundaries"

# (code, name, name_en) in grid order: north row west→east, then south row west→east.
# Codes and names as in app/demo/seed.py; the arrangement on the map is invented.
TOWNSHIPS = [
    ("410811002", "焦西街道", "Jiaoxi Subdistrict"),
    ("410811001", "焦东街道", "Jiaodong Subdistrict"),
    ("410811003", "东方红街道", "Dongfanghong Subdistrict"),
    ("410811009", "百间房街道", "Baijianfang Subdistrict"),
    ("410811006", "光亚街道", "Guangya Subdistrict"),
    ("410811005", "艺新街道", "Yixin Subdistrict"),
    ("410811004", "太行街道", "Taihang Subdistrict"),
    ("410811007", "定和街道", "Dinghe Subdistrict"),
    ("410811010", "中星街道", "Zhongxing Subdistrict"),
    ("410811008", "新城街道", "Xincheng Subdistrict"),
]
COLS, ROWS = 5, 2
WEST, EAST, SOUTH, NORTH = 113.17, 113.33, 35.16, 35.28

ZONE_VALID_FROM = "2022-01-01"


def _r(v: float) -> float:
    return round(v, 6)


# --- jurisdictions --------------------------------------------------------------------


def build_townships() -> list[tuple[str, str, str, Polygon]]:
    rng = random.Random(410811)
    dx, dy = (EAST - WEST) / COLS, (NORTH - SOUTH) / ROWS
    # corner vertices, jittered (outer ones too, so the district outline is not a rectangle)
    vert: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(COLS + 1):
        for j in range(ROWS + 1):
            jx = rng.uniform(-0.22, 0.22) * dx
            jy = rng.uniform(-0.12, 0.12) * dy
            vert[(i, j)] = (_r(WEST + i * dx + jx), _r(SOUTH + j * dy + jy))

    # two jittered intermediate points on every edge, shared by the cells on both sides
    edge_pts: dict[tuple[tuple[int, int], tuple[int, int]], list[tuple[float, float]]] = {}

    def edge(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[float, float]]:
        key = (a, b) if a < b else (b, a)
        if key not in edge_pts:
            (x1, y1), (x2, y2) = vert[key[0]], vert[key[1]]
            length = math.hypot(x2 - x1, y2 - y1)
            nx, ny = -(y2 - y1) / length, (x2 - x1) / length
            pts = []
            for t in (1 / 3, 2 / 3):
                off = rng.uniform(-0.06, 0.06) * length
                pts.append((_r(x1 + t * (x2 - x1) + off * nx), _r(y1 + t * (y2 - y1) + off * ny)))
            edge_pts[key] = pts
        pts = edge_pts[key]
        return pts if (a, b) == key else list(reversed(pts))

    cells = []
    for j in reversed(range(ROWS)):  # north row first
        for i in range(COLS):
            corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
            ring: list[tuple[float, float]] = []
            for k in range(4):
                a, b = corners[k], corners[(k + 1) % 4]
                ring.append(vert[a])
                ring.extend(edge(a, b))
            ring.append(ring[0])
            cells.append(Polygon(ring))
    return [(code, name, en, poly) for (code, name, en), poly in zip(TOWNSHIPS, cells, strict=True)]


def jurisdiction_features(townships: list[tuple[str, str, str, Polygon]]) -> tuple[dict[str, Any], Polygon]:
    district = unary_union([t[3] for t in townships])
    assert isinstance(district, Polygon), "townships must tile a single polygon"
    features = [
        _feature(
            district,
            code=DISTRICT_CODE,
            name="山阳区",
            name_en="Shanyang District",
            parent_code="410800",
            level="county",
        )
    ]
    for code, name, en, poly in townships:
        features.append(
            _feature(
                poly, code=code, name=name, name_en=en, parent_code=DISTRICT_CODE, level="township", code_is_demo=True
            )
        )
    return _collection(features, "山阳区行政区划（演示）"), district


# --- zones ------------------------------------------------------------------------------


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 24, wobble: float = 0.0, seed: int = 0) -> Polygon:
    rng = random.Random(seed)
    pts = []
    for k in range(n):
        a = 2 * math.pi * k / n
        f = 1 + rng.uniform(-wobble, wobble)
        pts.append((cx + rx * f * math.cos(a), cy + ry * f * math.sin(a)))
    return Polygon(pts)


def _clip(poly: Polygon, district: Polygon) -> Polygon | MultiPolygon:
    clipped = shapely.set_precision(poly.intersection(district), 1e-7)
    # An intersection may also come out as a GeometryCollection (polygon plus stray lines): reject it.
    assert isinstance(clipped, (Polygon, MultiPolygon)) and clipped.is_valid and clipped.area > 0
    return clipped


def build_zones(district: Polygon) -> list[tuple[dict[str, Any], Polygon | MultiPolygon]]:
    built_up = _clip(_ellipse(113.243, 35.224, 0.046, 0.033, wobble=0.10, seed=1), district)
    fireworks = _clip(built_up.buffer(0.008, join_style="mitre"), district)
    fuel_ban = _clip(
        Polygon([(113.15, 35.30), (113.35, 35.30), (113.35, 35.215), (113.29, 35.17), (113.15, 35.17)]), district
    )
    nrmm = _clip(_ellipse(113.255, 35.222, 0.060, 0.043, wobble=0.06, seed=2), district)
    cluster = _clip(Polygon([(113.300, 35.190), (113.322, 35.188), (113.324, 35.207), (113.302, 35.209)]), district)
    doc = "（示例文件名，非真实文件）"
    return [
        (
            {
                "code": "SY-DEMO-BUA",
                "name": "山阳区城市建成区（演示）",
                "name_en": "Shanyang built-up area (demo)",
                "kind": "built_up_area",
                "designated_by": f"演示数据：焦作市城市建成区范围划定文件{doc}",
                "source": "000#17",
            },
            built_up,
        ),
        (
            {
                "code": "SY-DEMO-FWB",
                "name": "山阳区烟花爆竹禁燃禁放区（演示）",
                "name_en": "Shanyang fireworks ban area (demo)",
                "kind": "fireworks_ban",
                "designated_by": f"演示数据：焦作市人民政府关于禁止燃放烟花爆竹区域的通告{doc}",
                "source": "000#20",
            },
            fireworks,
        ),
        (
            {
                "code": "SY-DEMO-FUEL",
                "name": "山阳区高污染燃料禁燃区（演示）",
                "name_en": "Shanyang high-pollution-fuel ban area (demo)",
                "kind": "fuel_ban",
                "designated_by": f"演示数据：焦作市人民政府关于划定高污染燃料禁燃区的通告{doc}",
                "source": "000#8",
            },
            fuel_ban,
        ),
        (
            {
                "code": "SY-DEMO-NRMM",
                "name": "山阳区禁止使用高排放非道路移动机械区域（演示）",
                "name_en": "Shanyang NRMM low-emission control area (demo)",
                "kind": "nrmm_control",
                "designated_by": f"演示数据：焦作市关于划定禁止使用高排放非道路移动机械区域的通告{doc}",
                "source": "000#14",
            },
            nrmm,
        ),
        (
            {
                "code": "SY-DEMO-ICL",
                "name": "山阳区循环经济产业集聚区（演示范围）",
                "name_en": "Shanyang circular-economy industrial cluster (demo extent)",
                "kind": "industrial_cluster",
                "designated_by": f"演示数据：山阳区循环经济产业集聚区规划范围{doc}",
                "source": "000#17",
            },
            cluster,
        ),
    ]


def zone_features(zones: list[tuple[dict[str, Any], Polygon | MultiPolygon]]) -> dict[str, Any]:
    return _collection(
        [_feature(geom, valid_from=ZONE_VALID_FROM, jurisdiction_code=DISTRICT_CODE, **props) for props, geom in zones],
        "山阳区管控区域（演示）",
    )


# --- GeoJSON helpers ------------------------------------------------------------------


def _lists(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        if x and isinstance(x[0], (int, float)):
            return [round(float(v), 7) for v in x]
        return [_lists(v) for v in x]
    return x


def _multipolygon(geom: Polygon | MultiPolygon) -> dict[str, Any]:
    polys = [geom] if isinstance(geom, Polygon) else list(geom.geoms)
    mp = MultiPolygon([orient(p, 1.0) for p in polys])
    return {"type": "MultiPolygon", "coordinates": _lists(mapping(mp)["coordinates"])}


def _feature(geom: Polygon | MultiPolygon, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {**props, "demo": True}, "geometry": _multipolygon(geom)}


def _collection(features: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "name": name,
        "demo": True,
        "note_zh": DEMO_NOTE_ZH,
        "note_en": DEMO_NOTE_EN,
        "features": features,
    }


# --- sites ------------------------------------------------------------------------------


def _haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


class _Operators:
    """Demo operators with valid generated 统一社会信用代码 (distinct bodies LTDM0001…)."""

    def __init__(self) -> None:
        self.n = 0

    def org(self, name: str, authority: str = "9", category: str = "1") -> dict[str, Any]:
        self.n += 1
        return {
            "type": "organization",
            "name": name,
            "credit_code": make_credit_code(authority, category, DISTRICT_CODE, f"LTDM{self.n:04d}"),
        }

    @staticmethod
    def person(name: str) -> dict[str, Any]:
        return {"type": "individual", "name": name}


# Site specs: (kind, name, operator spec, where, attributes[, geometry type]).
# ``where`` maps zone kinds to True (inside) / False (outside); "township" pins a sub-district.
def _site_specs(ops: _Operators) -> list[dict[str, Any]]:
    o, p = ops.org, ops.person
    S: list[dict[str, Any]] = []

    def add(
        kind: str,
        name: str,
        operator: dict[str, Any],
        where: dict[str, Any],
        attributes: dict[str, Any],
        geom: str = "Point",
    ) -> None:
        S.append(
            {
                "kind": kind,
                "name": f"（演示）{name}",
                "operator": operator,
                "where": where,
                "attributes": attributes,
                "geom": geom,
            }
        )

    # construction_site — includes the 6,000 m² site inside and the 3,000 m² site outside the built-up area,
    # either side of the demo's 5,000 m² monitoring threshold (borrowed from 003#23, app/demo/seed.py)
    add(
        "construction_site",
        "山阳区示例家园住宅小区二期施工工地",
        o("（演示）焦作示例建设工程有限公司"),
        {"built_up_area": True},
        {
            "project_type": "building",
            "floor_area_m2": 6000,
            "involves_earthwork": True,
            "earthwork_in_progress": True,
            "hauls_muck": True,
            "has_nrmm_on_site": True,
        },
    )
    add(
        "construction_site",
        "示例物流仓库新建工程",
        o("（演示）焦作示例建筑安装有限公司"),
        {"built_up_area": False, "fireworks_ban": False},
        {
            "project_type": "building",
            "floor_area_m2": 3000,
            "involves_earthwork": False,
            "hauls_muck": False,
            "has_nrmm_on_site": False,
        },
    )
    add(
        "construction_site",
        "示例路市政道路改造工程（线性工程）",
        o("（演示）焦作示例市政工程有限公司"),
        {"built_up_area": True},
        {
            "project_type": "municipal",
            "is_linear_works": True,
            "linear_length_m": 850,
            "involves_earthwork": True,
            "hauls_muck": True,
            "has_nrmm_on_site": True,
        },
    )
    add(
        "construction_site",
        "示例片区旧城改造拆除工程",
        o("（演示）焦作示例拆除工程有限公司"),
        {"built_up_area": True},
        {
            "project_type": "demolition",
            "floor_area_m2": 12000,
            "demolition_in_progress": True,
            "hauls_muck": True,
            "has_nrmm_on_site": True,
        },
    )
    add(
        "construction_site",
        "示例河道综合治理工程",
        o("（演示）河南示例水利工程有限公司"),
        {"built_up_area": False},
        {
            "project_type": "water_conservancy",
            "is_linear_works": True,
            "linear_length_m": 1800,
            "contract_value_wan_yuan": 1500,
            "involves_earthwork": True,
            "earthwork_above_scale": True,
            "has_nrmm_on_site": True,
        },
    )

    # voc_enterprise
    add(
        "voc_enterprise",
        "示例汽车维修中心（喷漆）",
        o("（演示）焦作示例汽车维修服务有限公司"),
        {"built_up_area": True},
        {
            "industry": "auto_repair_spraying",
            "coating_types": ["auto_refinish"],
            "uses_hoods": True,
            "has_activated_carbon": True,
            "seal_points": 0,
        },
    )
    add(
        "voc_enterprise",
        "示例精细化工有限公司",
        o("（演示）焦作示例精细化工有限公司"),
        {"industrial_cluster": True},
        {
            "industry": "chemical",
            "seal_points": 2400,
            "has_rto_rco": True,
            "has_bypass": True,
            "has_organic_liquid_tanks": True,
            "tank_true_vapour_pressures_kpa": [12.5],
            "loads_organic_liquids": True,
            "has_voc_wastewater": True,
            "has_flare": True,
            "uses_hoods": True,
        },
    )
    add(
        "voc_enterprise",
        "示例包装印刷厂",
        o("（演示）焦作示例包装印刷有限公司"),
        {"built_up_area": False},
        {"industry": "packaging_printing", "seal_points": 120, "uses_hoods": True, "has_activated_carbon": True},
    )
    add(
        "voc_enterprise",
        "示例家具制造厂",
        o("（演示）焦作示例家具有限公司"),
        {"built_up_area": False},
        {"industry": "furniture", "coating_types": ["wood"], "uses_hoods": True, "has_activated_carbon": True},
    )
    add(
        "voc_enterprise",
        "示例工程机械涂装车间",
        o("（演示）焦作示例重工机械有限公司"),
        {"industrial_cluster": True},
        {
            "industry": "industrial_coating",
            "coating_types": ["construction_machinery", "industrial_anticorrosion"],
            "seal_points": 1000,
            "has_rto_rco": True,
            "has_bypass": False,
            "uses_hoods": True,
        },
    )

    # gas_station
    add(
        "gas_station",
        "示例加油站（塔南路）",
        o("（演示）焦作示例石油销售有限公司"),
        {"built_up_area": True},
        {"facility_type": "gas_station"},
    )
    add(
        "gas_station",
        "示例加油站（焦辉路）",
        o("（演示）焦作示例能源有限公司"),
        {"built_up_area": False},
        {"facility_type": "gas_station"},
    )
    add(
        "gas_station",
        "示例新建加油站",
        o("（演示）焦作示例新能源加油站有限公司"),
        {"built_up_area": True},
        {"facility_type": "gas_station", "is_new_station": True},
    )
    add(
        "gas_station",
        "示例储油库",
        o("（演示）焦作示例石油储运有限公司"),
        {"built_up_area": False, "industrial_cluster": True},
        {"facility_type": "oil_depot"},
    )
    add(
        "gas_station",
        "示例油罐车停车场",
        o("（演示）焦作示例危险货物运输有限公司"),
        {"built_up_area": False},
        {"facility_type": "tanker_truck"},
    )

    # fireworks_point — inside and outside the ban area
    add(
        "fireworks_point",
        "示例烟花爆竹零售店（禁放区内）",
        p("（演示）李某"),
        {"fireworks_ban": True},
        {"point_type": "shop"},
    )
    add(
        "fireworks_point",
        "示例烟花爆竹临时摊点（禁放区内）",
        p("（演示）赵某"),
        {"fireworks_ban": True},
        {"point_type": "stall"},
    )
    add(
        "fireworks_point",
        "示例烟花爆竹批发部（禁放区外）",
        o("（演示）焦作示例烟花爆竹经营有限公司"),
        {"fireworks_ban": False},
        {"point_type": "shop"},
    )
    add(
        "fireworks_point",
        "示例烟花爆竹仓库（禁放区外）",
        o("（演示）焦作示例烟花爆竹储运有限公司"),
        {"fireworks_ban": False},
        {"point_type": "warehouse"},
    )
    add(
        "fireworks_point",
        "示例广场燃放点（禁放区内）",
        o("（演示）示例街道办事处", "1", "1"),
        {"fireworks_ban": True, "built_up_area": True},
        {"point_type": "discharge_spot"},
    )

    # nrmm_yard
    add(
        "nrmm_yard",
        "示例家园工地机械群",
        o("（演示）焦作示例机械租赁有限公司"),
        {"nrmm_control": True, "built_up_area": True},
        {
            "place_type": "construction_site",
            "machine_count": 6,
            "machine_types": ["excavator", "loader", "crane"],
            "emission_stage": "china_3",
            "manufacture_year": 2016,
        },
    )
    add(
        "nrmm_yard",
        "示例物流园叉车队",
        o("（演示）焦作示例物流园管理有限公司"),
        {"nrmm_control": True},
        {
            "place_type": "logistics_park",
            "machine_count": 12,
            "machine_types": ["forklift"],
            "machine_type": "forklift",
            "rated_load_t": 3,
            "emission_stage": "china_2",
            "manufacture_year": 2008,
        },
    )
    add(
        "nrmm_yard",
        "示例铁路货场装卸机械",
        o("（演示）焦作示例铁路货运服务有限公司"),
        {"nrmm_control": True},
        {
            "place_type": "rail_freight_yard",
            "machine_count": 4,
            "machine_types": ["loader", "crane"],
            "emission_stage": "china_4",
            "manufacture_year": 2021,
        },
    )
    add(
        "nrmm_yard",
        "示例石料矿山机械（管控区外）",
        o("（演示）焦作示例矿业有限公司"),
        {"nrmm_control": False},
        {
            "place_type": "mine",
            "machine_count": 9,
            "machine_types": ["excavator", "bulldozer", "drilling_rig"],
            "emission_stage": "china_1_or_below",
            "manufacture_year": 2006,
        },
    )
    add(
        "nrmm_yard",
        "示例重工厂内叉车",
        o("（演示）焦作示例装备制造有限公司"),
        {"industrial_cluster": True},
        {
            "place_type": "industrial_enterprise",
            "machine_count": 3,
            "machine_types": ["forklift"],
            "machine_type": "forklift",
            "rated_load_t": 5,
            "emission_stage": "electric",
            "manufacture_year": 2022,
        },
    )

    # aggregate_plant
    for k, (conv, crush) in enumerate(
        [(True, True), (True, False), (False, True), (True, True), (False, False)], start=1
    ):
        add(
            "aggregate_plant",
            f"示例砂石骨料厂{k}号",
            o(f"（演示）焦作示例建材{k}号有限公司"),
            {"built_up_area": False},
            {"has_outdoor_conveyors": conv, "has_crushing_screening": crush},
        )

    # road_segment (LineString); the operator is the unit responsible for cleaning
    sanitation = o("（演示）山阳区环卫处", "1", "2")
    add("road_segment", "塔南路示例路段", sanitation, {"built_up_area": True}, {"road_class": "main"}, "LineString")
    add("road_segment", "示例大道主干道路段", sanitation, {"built_up_area": True}, {"road_class": "main"}, "LineString")
    add("road_segment", "示例路人行道", sanitation, {"built_up_area": True}, {"road_class": "sidewalk"}, "LineString")
    add("road_segment", "示例街辅道", sanitation, {"built_up_area": True}, {"road_class": "side_road"}, "LineString")
    add(
        "road_segment",
        "焦辉路示例路段（城外）",
        sanitation,
        {"built_up_area": False},
        {"road_class": "secondary"},
        "LineString",
    )

    # restaurant
    add(
        "restaurant",
        "示例大酒店",
        o("（演示）焦作示例餐饮管理有限公司"),
        {"built_up_area": True},
        {"seats": 320, "cooking_stoves": 8, "is_large": True, "energy_type": "gas", "does_open_air_barbecue": False},
    )
    add(
        "restaurant",
        "示例烧烤店（露天烧烤）",
        o("（演示）山阳区示例烧烤店", "9", "2"),
        {"built_up_area": True, "fuel_ban": True},
        {
            "seats": 60,
            "cooking_stoves": 2,
            "is_large": False,
            "energy_type": "charcoal",
            "does_open_air_barbecue": True,
        },
    )
    add(
        "restaurant",
        "示例面馆",
        p("（演示）孙某"),
        {"built_up_area": True},
        {"seats": 30, "cooking_stoves": 1, "is_large": False, "energy_type": "electric"},
    )
    add(
        "restaurant",
        "示例农家菜馆（燃煤）",
        o("（演示）山阳区示例农家菜馆", "9", "2"),
        {"built_up_area": False},
        {"seats": 80, "cooking_stoves": 3, "is_large": False, "energy_type": "coal"},
    )
    add(
        "restaurant",
        "示例快餐店",
        o("（演示）焦作示例快餐有限公司"),
        {"built_up_area": True},
        {"seats": 120, "cooking_stoves": 4, "is_large": False, "energy_type": "gas"},
    )

    # open_area (burning checks); the sub-district office or the farmer is responsible
    office = o("（演示）示例街道办事处（露天区域责任单位）", "1", "1")
    add("open_area", "示例村南农田", p("（演示）周某"), {"built_up_area": False}, {"area_type": "farmland"})
    add("open_area", "示例村", office, {"built_up_area": False}, {"area_type": "village"})
    add("open_area", "示例闲置空地", office, {"built_up_area": True}, {"area_type": "vacant_lot"})
    add("open_area", "示例街心游园", office, {"built_up_area": True}, {"area_type": "urban_green"})
    add(
        "open_area",
        "示例河滩荒地",
        p("（演示）吴某"),
        {"built_up_area": False, "fuel_ban": False},
        {"area_type": "other"},
    )

    # boiler_operator
    add(
        "boiler_operator",
        "示例宾馆燃气锅炉房",
        o("（演示）焦作示例宾馆有限公司"),
        {"built_up_area": True},
        {"boiler_fuel": "gas", "capacity_t_h": 4, "has_fgr_valve": True},
    )
    add(
        "boiler_operator",
        "示例食品厂生物质锅炉",
        o("（演示）焦作示例食品有限公司"),
        {"fuel_ban": True},
        {"boiler_fuel": "biomass", "capacity_t_h": 6, "has_fgr_valve": False},
    )
    add(
        "boiler_operator",
        "示例砖厂燃煤锅炉（禁燃区外）",
        o("（演示）焦作示例新型建材有限公司"),
        {"fuel_ban": False},
        {
            "boiler_fuel": "coal",
            "capacity_t_h": 10,
            "has_industrial_furnace": True,
            "furnace_has_sector_standard": True,
        },
    )
    add(
        "boiler_operator",
        "示例医院电锅炉",
        o("（演示）山阳区示例医院", "1", "2"),
        {"built_up_area": True},
        {"boiler_fuel": "electric", "capacity_t_h": 2},
    )
    add(
        "boiler_operator",
        "示例煤炭经营部",
        p("（演示）郑某"),
        {"fuel_ban": False},
        {"boiler_fuel": "coal", "capacity_t_h": 1, "sells_coal": True},
    )
    return S


KIND_PREFIX = {
    "construction_site": "CS",
    "voc_enterprise": "VOC",
    "gas_station": "GAS",
    "fireworks_point": "FW",
    "nrmm_yard": "NRMM",
    "aggregate_plant": "AGG",
    "road_segment": "ROAD",
    "restaurant": "RST",
    "open_area": "OPEN",
    "boiler_operator": "BLR",
}
EDGE_MARGIN_DEG = 0.0025  # ≈ 230 m: demo sites keep clear of every boundary so membership is unambiguous


def derive(
    geom: Any, townships: list[tuple[str, str, str, Polygon]], zones: list[tuple[dict[str, Any], Any]]
) -> dict[str, Any]:
    """Township whose polygon contains ``geom`` and the zone kinds/codes containing it (shapely)."""
    town = [code for code, _n, _e, poly in townships if poly.contains(geom)]
    return {
        "township_code": town[0] if len(town) == 1 else None,
        "zone_kinds": sorted(props["kind"] for props, zgeom in zones if zgeom.contains(geom)),
        "zone_codes": sorted(props["code"] for props, zgeom in zones if zgeom.contains(geom)),
    }


def build_sites(
    district: Polygon, townships: list[tuple[str, str, str, Polygon]], zones: list[tuple[dict[str, Any], Any]]
) -> dict[str, Any]:
    rng = random.Random(20220101)
    ops = _Operators()
    boundaries = unary_union([district.boundary] + [t[3].boundary for t in townships] + [z.boundary for _p, z in zones])
    zone_by_kind = {props["kind"]: geom for props, geom in zones}
    minx, miny, maxx, maxy = district.bounds
    counters: dict[str, int] = {}
    sites = []
    for spec in _site_specs(ops):
        for _attempt in range(20000):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if spec["geom"] == "LineString":
                ang = rng.uniform(0, math.pi)
                seg = rng.uniform(0.003, 0.005)
                pts = [
                    (x + k * seg * math.cos(ang) + rng.uniform(-0.0004, 0.0004), y + k * seg * math.sin(ang))
                    for k in range(3)
                ]
                geom: Any = LineString([(_r(a), _r(b)) for a, b in pts])
            else:
                geom = Point(_r(x), _r(y))
            if not district.contains(geom) or geom.distance(boundaries) < EDGE_MARGIN_DEG:
                continue
            if all(zone_by_kind[k].contains(geom) == inside for k, inside in spec["where"].items()):
                break
        else:  # pragma: no cover - the specs above are satisfiable
            raise RuntimeError(f"could not place {spec['name']}")
        prefix = KIND_PREFIX[spec["kind"]]
        counters[prefix] = counters.get(prefix, 0) + 1
        expected = derive(geom, townships, zones)
        town_name = next(n for c, n, _e, _p in townships if c == expected["township_code"])
        attributes = dict(spec["attributes"])
        if spec["geom"] == "LineString":
            coords = list(geom.coords)
            attributes["length_m"] = round(sum(_haversine_m(coords[k], coords[k + 1]) for k in range(len(coords) - 1)))
        gj = mapping(geom)
        sites.append(
            {
                "code": f"DEMO-{prefix}-{counters[prefix]:03d}",
                "kind": spec["kind"],
                "name": spec["name"],
                "operator": spec["operator"],
                "address": f"（演示）河南省焦作市山阳区{town_name}示例路{rng.randint(1, 300)}号",
                "geometry": {"type": gj["type"], "coordinates": _lists(gj["coordinates"])},
                "attributes": attributes,
                "expected": expected,
                "demo": True,
            }
        )
    return {
        "demo": True,
        "note_zh": "演示数据：场所、经营者、地址与统一社会信用代码均为虚构（信用代码按 GB 32100 规则生成，仅校验位有效）",
        "note_en": "Demo data: sites, operators, addresses and credit codes are invented (codes are generated to pass the GB 32100 check only)",
        "crs": "wgs84",
        "expected_note": "expected = township and zones containing the site, computed with shapely by scripts/build_demo_geography.py; PostGIS must agree",
        "sites": sites,
    }


def build() -> dict[str, dict[str, Any]]:
    townships = build_townships()
    jurisdictions, district = jurisdiction_features(townships)
    zones = build_zones(district)
    return {
        "shanyang_jurisdictions.geojson": jurisdictions,
        "shanyang_zones.geojson": zone_features(zones),
        "sites.json": build_sites(district, townships, zones),
    }


def main() -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for name, doc in build().items():
        (DATA_DIR / name).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {DATA_DIR / name}")


if __name__ == "__main__":
    main()
