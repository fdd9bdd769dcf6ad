"""/api/v1/alerts: declarations, the level in force at a site, reduction-list import, measure items in the
site's checklist and in submission (findings, penalty lines), the phone-claim review flag, the daily list."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.inspections.models import Inspection
from app.sites.models import Site
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_inspections import DUST, STARTED, make_world, new_id, passing_answer, put, put_body, submit
from tests.factories_photos import put_photo, temporary_photo_store
from tests.photo_samples import photo_bytes

HEADER = "场所编号,企业名称,行业,绩效分级,低VOCs源头替代,预警级别,措施类型,管控对象,限产比例,开始日期,结束日期,措施依据"
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_ARGS = {
    "jurisdiction": "410811",
    "title": "山阳区重污染天气应急减排清单（测试）",
    "doc_ref": "测试〔2026〕1号",
    "version": "2026",
    "effective_from": "2026-10-01",
}


@pytest.fixture()
def world(client, session, tree):  # noqa: ANN001, ANN201
    w = make_world(session, client)
    site = session.get(Site, w.site_id)
    site.code = "TEST-CS-1"
    make_user(session, "adm_city", "admin", ["410800"])
    make_user(session, "adm_sy", "admin", ["410811"])
    make_user(session, "adm_ba", "admin", ["410822"])
    session.commit()
    for name in ("adm_city", "adm_sy", "adm_ba"):
        w.headers[name] = bearer(issue_tokens(session, name))
    return w


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8-sig")


def import_list(client, headers, body: bytes, mimetype: str = CSV_TYPE, **args):  # noqa: ANN001, ANN201
    return client.post(
        "/api/v1/alerts/reduction-lists",
        query_string={**LIST_ARGS, **args},
        data=body,
        headers={**headers, "Content-Type": mimetype},
    )


def declare(client, headers, **body):  # noqa: ANN001, ANN201
    data = {
        "jurisdiction": "410800",
        "level": "orange",
        "issuer": "焦作市污染防治攻坚办",
        "doc_ref": "焦攻坚办〔2026〕9号",
    }
    data.update(body)
    return client.post("/api/v1/alerts", json=data, headers=headers)


SITE_ROWS = (
    "TEST-CS-1,测试工地,施工工地,未分级,否,橙色,停止土石方作业,,,,,测试清单第2行",
    "TEST-CS-1,测试工地,施工工地,未分级,否,橙色,停产,1号搅拌站,,,,测试清单第3行",
)


def _checklist(client, headers, site_id, **query):  # noqa: ANN001, ANN201
    response = client.get(f"/api/v1/sites/{site_id}/checklist", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _alert_items(body) -> list[dict]:  # noqa: ANN001
    dust = next(c for c in body["checklists"] if c["key"] == DUST)
    return [i for i in dust["items"] if i["key"].startswith("alert.m")]


def test_declaring_a_city_alert_changes_a_district_sites_checklist_and_a_lift_restores_it(client, world):  # noqa: ANN001
    assert import_list(client, world.headers["adm_sy"], _csv(*SITE_ROWS)).status_code == 201
    inspector = world.headers["insp_a"]
    before = _checklist(client, inspector, world.site_id)
    assert before["context"]["alert_level"] == "none" and before["alert_level_source"] == "server"
    assert _alert_items(before) == []

    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    created = declare(client, world.headers["adm_city"], starts_at=start)
    assert created.status_code == 201, created.get_json()
    alert = created.get_json()
    assert alert["jurisdiction"] == "410800" and alert["level"] == "orange"

    during = _checklist(client, inspector, world.site_id)
    assert during["context"]["alert_level"] == "orange"
    items = _alert_items(during)
    assert [i["prompt"]["zh"] for i in items] == ["橙色预警期间停止土石方作业和建筑物拆除施工", "1号搅拌站应停产"]
    assert items[0]["source"][0] == "测试清单第2行"
    dust = next(c for c in during["checklists"] if c["key"] == DUST)
    assert "alert_dust_controls" in {
        i["key"] for i in dust["items"]
    }  # the checklist's own alert item, from the server level

    current = client.get("/api/v1/alerts/current", headers=inspector).get_json()
    assert [a["alert"]["id"] for a in current["alerts"]] == [alert["id"]]

    lift = declare(
        client,
        world.headers["adm_city"],
        level="none",
        supersedes_id=alert["id"],
        starts_at=datetime.now(UTC).isoformat(),
    )
    assert lift.status_code == 201, lift.get_json()
    after = _checklist(client, inspector, world.site_id)
    assert after["context"]["alert_level"] == "none" and _alert_items(after) == []
    assert client.get("/api/v1/alerts/current", headers=inspector).get_json()["alerts"] == []


def test_changes_are_new_records_audited_and_a_retry_is_not_a_second_one(client, world, session):  # noqa: ANN001
    h = world.headers["adm_city"]
    first = declare(client, h, starts_at="2026-12-05T12:00:00+08:00").get_json()
    retry = declare(client, h, starts_at="2026-12-05T12:00:30+08:00")  # same minute: the same notice
    assert retry.status_code == 200 and retry.get_json()["id"] == first["id"]
    up = declare(client, h, level="red", supersedes_id=first["id"], starts_at="2026-12-06T08:00:00+08:00")
    assert up.status_code == 201
    twice = declare(client, h, level="yellow", supersedes_id=first["id"], starts_at="2026-12-07T08:00:00+08:00")
    assert twice.status_code == 409 and twice.get_json()["code"] == "alert_already_superseded"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "alert")).all()
    assert sorted(actions) == ["alert.change", "alert.declare"]


def test_only_admins_declare_and_only_in_their_jurisdiction(client, world):  # noqa: ANN001
    body = {"starts_at": "2026-12-05T12:00:00+08:00"}
    assert declare(client, world.headers["insp_a"], **body).status_code == 403
    assert declare(client, world.headers["adm_ba"], **body).status_code == 404  # 焦作市 is above 博爱县's admin
    lift = declare(client, world.headers["adm_city"], level="none", **body)
    assert lift.status_code == 422 and lift.get_json()["errors"][0]["code"] == "lift_needs_alert"


def test_list_import_reports_every_row_error_and_imports_nothing(client, world):  # noqa: ANN001
    response = import_list(
        client,
        world.headers["adm_sy"],
        _csv(
            SITE_ROWS[0],
            "TEST-CS-1,测试工地,施工工地,未分级,否,紫色,停产,,,,,",
            "NO-SUCH-SITE,某厂,铸造,C,否,橙色,限产,,20,,,",
        ),
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "reduction_list_invalid"
    paths = {(e["path"], e["code"]) for e in problem["errors"]}
    assert ("rows.3.预警级别", "invalid_choice") in paths and ("rows.3.管控对象", "required") in paths
    assert client.get("/api/v1/alerts/reduction-lists", headers=world.headers["adm_sy"]).get_json() == []
    # fix the file: the unknown site is still refused, nothing stored
    again = import_list(
        client, world.headers["adm_sy"], _csv(SITE_ROWS[0], "NO-SUCH-SITE,某厂,铸造,C,否,橙色,限产,,20,,,")
    )
    assert [(e["path"], e["code"]) for e in again.get_json()["errors"]] == [("rows.3.场所编号", "site_not_found")]
    assert client.get("/api/v1/alerts/reduction-lists", headers=world.headers["adm_sy"]).get_json() == []


def test_an_xlsx_list_imports_and_a_second_version_needs_a_new_number(client, world):  # noqa: ANN001
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "TEST-CS-1",
            "测试工地",
            "施工工地",
            "未分级",
            "否",
            "错峰生产",
            "停产",
            "1号搅拌站",
            None,
            datetime(2026, 11, 15),
            datetime(2027, 3, 15),
            "000#37",
        ]
    )
    raw = io.BytesIO()
    book.save(raw)
    response = import_list(client, world.headers["adm_sy"], raw.getvalue(), XLSX_TYPE)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    measure = body["entries"][0]["measures"][0]
    assert (measure["trigger"], measure["kind"], measure["starts_on"]) == ("staggered", "stop_line", "2026-11-15")
    assert import_list(client, world.headers["adm_sy"], raw.getvalue(), XLSX_TYPE).status_code == 201  # retry
    other = import_list(client, world.headers["adm_sy"], _csv(*SITE_ROWS))
    assert other.status_code == 409
    assert import_list(client, world.headers["adm_ba"], _csv(*SITE_ROWS), jurisdiction="410822").status_code == 422
    assert import_list(client, world.headers["adm_sy"], b"x", "text/plain").status_code == 415
    # a staggered period applies without any alert
    items = _alert_items(_checklist(client, world.headers["insp_a"], world.site_id, date="2026-12-01"))
    assert [i["prompt"]["zh"] for i in items] == ["1号搅拌站应停产"]


def _upload(client, headers, name: str) -> str:  # noqa: ANN001
    pid = new_id()
    response = put_photo(client, headers, pid, photo_bytes(name))
    assert response.status_code in (200, 201), response.get_json()
    return pid


def test_submission_uses_the_declared_level_and_its_measure_items_yield_findings_and_cited_penalties(
    client,
    world,
    session,
    store,  # noqa: ANN001
):
    install_shipped_penalty_rules(session)
    session.commit()
    assert import_list(client, world.headers["adm_sy"], _csv(*SITE_ROWS)).status_code == 201
    # Orange from 08:00; the inspection starts at 09:00 and the phone claims no alert.
    alert = declare(client, world.headers["adm_city"], starts_at=(STARTED - timedelta(hours=1)).isoformat()).get_json()
    h = world.headers["insp_a"]
    resolved = _checklist(client, h, world.site_id, date=STARTED.date().isoformat())
    dust = next(c for c in resolved["checklists"] if c["key"] == DUST)
    photos = [
        _upload(client, h, n)
        for n in (
            "drew__jpg__Apple_iPhone_4.jpg",
            "drew__jpg__HTC_Desire.jpg",
            "drew__jpg__Nikon_D5000.jpg",
            "drew__jpg__Samsung_GT-I9000_Galaxy_S_.jpg",
        )
    ]
    answers = {i["key"]: passing_answer(i) for i in dust["items"]}
    earthworks, line = _alert_items(resolved)
    answers[earthworks["key"]] = {"verdict": "fail", "note": "东区仍在开挖", "photos": photos[:2]}
    answers[line["key"]] = {"verdict": "fail", "note": "搅拌站运行", "photos": photos[2:]}
    iid = new_id()
    created = put(client, h, iid, put_body(world, answers=answers, alert_level="none"))
    assert created.status_code == 201, created.get_json()
    response = submit(client, h, iid, '"1"')
    assert response.status_code == 200, response.get_json()
    findings = {f["item_key"]: f for f in response.get_json()["findings"]}
    assert findings[line["key"]]["verdict"] == "fail"
    assert findings[line["key"]]["penalty_keys"] == [
        "fiscal.production_control_not_done",
        "fine.air_law_121_refuse_alert_measure",
    ]
    assert findings[earthworks["key"]]["source_refs"][0] == "测试清单第2行"

    penalties = client.get(f"/api/v1/inspections/{iid}/penalties", headers=h).get_json()
    lines = {l["rule_key"]: l for l in penalties["lines"]}
    works = lines["fine.air_law_121_refuse_alert_works_stop"]
    assert works["basis"][0]["ref"] == "大气污染防治法第一百二十一条第二款"
    assert works["amount_fen"] == 10_000_000  # upper end during the declared orange alert (003#3, 003#38)
    assert any(f["name"] == "heavy_pollution_alert" and f["level"] == "orange" for f in works["factors"])
    fiscal = lines["fiscal.production_control_not_done"]
    assert fiscal["basis"][0]["ref"] == "000§五(二)" and fiscal["amount_fen"] == 10_000_000
    unverified = lines["fine.air_law_121_refuse_alert_measure"]
    assert unverified["verified"] is False and "unverified" in unverified["blocking_reasons"]
    assert unverified["basis"][0]["ref"] == "大气污染防治法第一百二十一条第二款"

    # The phone's claim is kept as a note; the mismatch is a review flag.
    queue = client.get("/api/v1/review/queue", headers=world.headers["sup_sy"]).get_json()
    item = next(i for i in queue["items"] if i["id"] == iid)
    assert "alert_level_mismatch" in {r["code"] for r in item["risk"]["reasons"]}
    row = session.get(Inspection, uuid.UUID(iid))
    assert (row.alert_level, row.alert_level_in_force) == ("none", "orange")
    assert row.site_context["alert"]["alert_ids"] == [alert["id"]]


def test_an_amendment_re_evaluates_with_the_measure_items_of_the_level_in_force(client, world, session, store):  # noqa: ANN001
    """A reviewer's amendment makes a new findings revision: the measure items checked at submission stay in it."""
    install_shipped_penalty_rules(session)
    session.commit()
    assert import_list(client, world.headers["adm_sy"], _csv(*SITE_ROWS)).status_code == 201
    declare(client, world.headers["adm_city"], starts_at=(STARTED - timedelta(hours=1)).isoformat())
    h = world.headers["insp_a"]
    resolved = _checklist(client, h, world.site_id, date=STARTED.date().isoformat())
    dust = next(c for c in resolved["checklists"] if c["key"] == DUST)
    answers = {i["key"]: passing_answer(i) for i in dust["items"]}
    earthworks, line = _alert_items(resolved)
    photos = [
        _upload(client, h, n)
        for n in (
            "drew__jpg__Apple_iPhone_4.jpg",
            "drew__jpg__HTC_Desire.jpg",
            "drew__jpg__Nikon_D5000.jpg",
            "drew__jpg__Samsung_GT-I9000_Galaxy_S_.jpg",
        )
    ]
    answers[earthworks["key"]] = {"verdict": "fail", "note": "东区仍在开挖", "photos": photos[:2]}
    answers[line["key"]] = {"verdict": "pass", "photos": photos[2:]}  # the line stopped: always photographed
    iid = new_id()
    assert put(client, h, iid, put_body(world, answers=answers, alert_level="orange")).status_code == 201
    submitted = submit(client, h, iid, '"1"')
    assert submitted.status_code == 200, submitted.get_json()
    body = {
        "id": new_id(),
        "item_key": "hoarding",
        "kind": "change",
        "answer": {"note": "补记"},
        "reason": "补记围挡情况",
    }
    response = client.post(
        f"/api/v1/inspections/{iid}/amendments", json=body, headers={**world.headers["sup_sy"], "If-Match": '"2"'}
    )
    assert response.status_code == 200, response.get_json()
    findings = {f["item_key"]: f for f in response.get_json()["inspection"]["findings"]}
    assert findings[earthworks["key"]]["verdict"] == "fail"
    lines = client.get(f"/api/v1/inspections/{iid}/penalties", headers=h).get_json()["lines"]
    assert "fine.air_law_121_refuse_alert_works_stop" in {l["rule_key"] for l in lines}


def test_the_daily_list_shows_listed_sites_under_measures_and_whether_inspected(client, world):  # noqa: ANN001
    assert import_list(client, world.headers["adm_sy"], _csv(*SITE_ROWS)).status_code == 201
    declare(client, world.headers["adm_city"], starts_at="2026-11-20T08:00:00+08:00")
    h = world.headers["sup_sy"]
    day = client.get("/api/v1/alerts/daily", headers=h, query_string={"date": "2026-11-20"}).get_json()
    (site,) = day["sites"]
    assert site["site_id"] == world.site_id and site["level"] == "orange" and site["inspected"] is False
    assert len(site["items"]) == 2
    iid = new_id()
    assert put(client, world.headers["insp_a"], iid, put_body(world)).status_code == 201
    site = client.get("/api/v1/alerts/daily", headers=h, query_string={"date": "2026-11-20"}).get_json()["sites"][0]
    assert site["inspected"] is True and site["last_inspection_id"] == iid
    assert client.get("/api/v1/alerts/daily", headers=h, query_string={"date": "2026-11-19"}).get_json()["sites"] == []
    other = world.headers["sup_ba"]
    assert (
        client.get("/api/v1/alerts/daily", headers=other, query_string={"date": "2026-11-20"}).get_json()["sites"] == []
    )


def test_imports_and_listings_are_scoped_to_the_callers_jurisdictions(client, world):  # noqa: ANN001
    assert import_list(client, world.headers["insp_a"], _csv(*SITE_ROWS)).status_code == 403
    assert import_list(client, world.headers["adm_ba"], _csv(*SITE_ROWS)).status_code == 404
    assert client.get("/api/v1/alerts/reduction-lists", headers=world.headers["insp_a"]).status_code == 403
    district = declare(client, world.headers["adm_sy"], jurisdiction="410811", starts_at="2026-12-05T12:00:00+08:00")
    city = declare(client, world.headers["adm_city"], starts_at="2026-12-05T12:00:00+08:00")
    assert district.status_code == city.status_code == 201
    seen_in_boai = {a["id"] for a in client.get("/api/v1/alerts", headers=world.headers["sup_ba"]).get_json()}
    assert seen_in_boai == {city.get_json()["id"]}  # the city's alert reaches 博爱县; 山阳区's does not
    seen_in_shanyang = {a["id"] for a in client.get("/api/v1/alerts", headers=world.headers["insp_a"]).get_json()}
    assert seen_in_shanyang == {city.get_json()["id"], district.get_json()["id"]}


def test_readme_example_the_demo_plant_gains_its_illustrative_measures_when_the_city_declares_orange(
    client,
    session,  # noqa: ANN001
):
    from app.demo.seed import load_demo_data
    from tests.factories_catalogue import install_shipped_checklists

    install_shipped_checklists(session)
    load_demo_data(session)
    session.commit()
    admin, inspector = (bearer(issue_tokens(session, u)) for u in ("demo.admin", "demo.inspector"))
    plant = session.scalar(select(Site).where(Site.code == "DEMO-AGG-001"))
    quiet = _checklist(client, inspector, plant.id, date="2026-12-17")
    assert quiet["context"]["alert_level"] == "none"
    assert all(not i["key"].startswith("alert.m") for c in quiet["checklists"] for i in c["items"])
    alert = declare(
        client,
        admin,
        starts_at="2026-12-17T00:00:00+08:00",
        issuer="焦作市生态环境保护委员会办公室",
        doc_ref="（示例）焦环委办〔2026〕1号",
    )
    assert alert.status_code == 201
    orange = _checklist(client, inspector, plant.id, date="2026-12-17")
    assert orange["context"]["alert_level"] == "orange"
    for checklist in orange["checklists"]:
        added = [i for i in checklist["items"] if i["key"].startswith("alert.m")]
        assert [i["prompt"]["zh"] for i in added] == [
            "1号破碎生产线应停产",
            "橙色预警期间停止柴油货车公路运输，不得进出厂区",
        ]
        assert all("非真实" in i["applies_because"]["zh"] for i in added)
    printer = session.scalar(select(Site).where(Site.code == "DEMO-VOC-003"))  # B grade, full low-VOC substitution
    items = [i for c in _checklist(client, inspector, printer.id, date="2026-12-17")["checklists"] for i in c["items"]]
    assert [i["alert_measure"]["kind"] for i in items if i["key"].startswith("alert.m")][:1] == ["autonomous"]
