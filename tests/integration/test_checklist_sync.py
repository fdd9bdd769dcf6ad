"""`flask checklists validate|sync`: validation, immutable versions, one current version per key, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEntry
from app.checklists.canonical import content_hash
from app.checklists.files import checklist_files, load_checklist_file
from app.checklists.models import ChecklistVersion
from app.checklists.parameters import checklist_parameters_for, set_checklist_parameter
from app.checklists.versions import get_checklist_version, get_current_checklist
from app.errors import ValidationFailed
from tests.factories_catalogue import install_shipped_checklists
from tests.factories_checklists import catalogue_copy, checklist_path, edit_checklist, shipped_version, sync


def _count(session, *where) -> int:
    return session.scalar(select(func.count()).select_from(ChecklistVersion).where(*where))


def _bump(doc: dict) -> None:
    doc["version"] = "3"
    doc["items"][0]["prompt"]["zh"] += "（修订）"


def test_every_shipped_checklist_file_validates(app) -> None:
    result = app.test_cli_runner().invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_prints_each_error_with_its_path_and_exits_non_zero(app, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    path = checklist_path(root, "fireworks_ban").name

    def break_it(doc: dict) -> None:
        doc["items"][0]["source"] = ["000#999"]
        doc["items"][1]["penalties"] = ["fine.no_such_rule"]

    edit_checklist(root, "fireworks_ban", break_it)
    result = app.test_cli_runner().invoke(args=["checklists", "validate", "--dir", str(root)])
    assert result.exit_code == 1
    assert f"{path}.items.0.source.0: [source_not_in_seed]" in result.output
    assert f"{path}.items.1.penalties.0: [unknown_penalty_rule]" in result.output


def test_sync_stores_every_file_as_one_current_version(app, session) -> None:
    result = app.test_cli_runner().invoke(args=["checklists", "sync"])
    assert result.exit_code == 0, result.output
    files = checklist_files(app.config["CHECKLISTS_DIR"])
    assert _count(session, ChecklistVersion.is_current.is_(True)) == len(files)
    for path in files:
        doc = load_checklist_file(path)
        row = get_current_checklist(session, doc["key"])
        assert row.content == doc
        assert row.content_hash == content_hash(doc)
        assert row.version == doc["version"] and row.source_file == path.name


def test_resync_of_unchanged_files_writes_nothing(app, session) -> None:
    sync(session)
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    result = app.test_cli_runner().invoke(args=["checklists", "sync"])
    assert result.exit_code == 0, result.output
    assert "already up to date" in result.output
    assert _count(session) == len(checklist_files(app.config["CHECKLISTS_DIR"]))
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_changed_file_becomes_new_current_version_and_old_stays_readable(session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    sync(session, root)
    old = get_current_checklist(session, "fireworks_ban")
    old_hash, old_content = old.content_hash, old.content
    new_doc = edit_checklist(root, "fireworks_ban", _bump)

    report = sync(session, root)

    assert report.created == [f"fireworks_ban@3 {content_hash(new_doc)[:12]}"]
    current = get_current_checklist(session, "fireworks_ban")
    assert current.version == "3" and current.content == new_doc
    kept = get_checklist_version(session, "fireworks_ban", "2")
    assert kept.content_hash == old_hash and kept.content == old_content and not kept.is_current


def test_changed_file_without_version_bump_is_refused_and_nothing_is_written(app, session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    sync(session, root)
    before = _count(session)
    edit_checklist(root, "fireworks_ban", lambda d: d["items"][0]["prompt"].update(zh="改了但没升版本"))

    result = app.test_cli_runner().invoke(args=["checklists", "sync", "--dir", str(root)])

    assert result.exit_code == 1
    assert "version_not_bumped" in result.output
    session.expire_all()
    assert _count(session) == before
    assert get_current_checklist(session, "fireworks_ban").version == "2"


def test_invalid_catalogue_is_not_synced(session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    edit_checklist(root, "fireworks_ban", lambda d: d["items"][0].pop("source"))
    with pytest.raises(ValidationFailed) as caught:
        sync(session, root)
    assert caught.value.code == "checklists_invalid"
    session.rollback()
    assert _count(session) == 0


def test_reverting_a_file_makes_its_old_version_current_again(session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    path = checklist_path(root, "fireworks_ban")
    original = path.read_text(encoding="utf-8")
    sync(session, root)
    edit_checklist(root, "fireworks_ban", _bump)
    sync(session, root)
    path.write_text(original, encoding="utf-8")

    report = sync(session, root)

    assert report.reinstated and not report.created
    assert get_current_checklist(session, "fireworks_ban").version == "2"
    assert _count(session, ChecklistVersion.key == "fireworks_ban") == 2


def test_removed_file_retires_its_key_but_keeps_its_versions(session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    sync(session, root)
    checklist_path(root, "road_dust").unlink()

    report = sync(session, root)

    assert [line.split("@")[0] for line in report.retired] == ["road_dust"]
    assert _count(session, ChecklistVersion.key == "road_dust", ChecklistVersion.is_current.is_(True)) == 0
    assert get_checklist_version(session, "road_dust", shipped_version("road_dust")).content["key"] == "road_dust"


def test_each_new_version_is_audited(session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    sync(session, root)
    edit_checklist(root, "fireworks_ban", _bump)
    sync(session, root)
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "checklist.version_create").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.after["key"] == "fireworks_ban" and entry.after["version"] == "3"
    assert entry.before["version"] == "2"


def test_stored_versions_refuse_content_updates_and_deletes(session) -> None:
    install_shipped_checklists(session)
    session.commit()
    with pytest.raises(DBAPIError):
        session.execute(update(ChecklistVersion).where(ChecklistVersion.key == "road_dust").values(version="9"))
    session.rollback()
    with pytest.raises(DBAPIError):
        session.execute(delete(ChecklistVersion).where(ChecklistVersion.key == "road_dust"))
    session.rollback()


def test_at_most_one_current_version_per_key(session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    sync(session, root)
    edit_checklist(root, "fireworks_ban", _bump)
    sync(session, root)
    with pytest.raises(DBAPIError):
        session.execute(update(ChecklistVersion).where(ChecklistVersion.key == "fireworks_ban").values(is_current=True))
    session.rollback()


def test_jurisdiction_parameter_of_the_most_specific_jurisdiction_wins(session, tree) -> None:
    install_shipped_checklists(session)
    session.commit()
    key, name = "construction_dust.henan", "monitoring_min_floor_area_m2"
    set_checklist_parameter(session, "410000", key, name, 10000)
    set_checklist_parameter(session, "410811", key, name, 5000)
    session.commit()
    assert checklist_parameters_for(session, ["410811001", "410811", "410800", "410000"], key) == {name: 5000}
    assert checklist_parameters_for(session, ["410883", "410800", "410000"], key) == {name: 10000}


def test_only_declared_configurable_parameters_can_be_set(session, tree) -> None:
    install_shipped_checklists(session)
    session.commit()
    with pytest.raises(ValidationFailed):
        set_checklist_parameter(session, "410811", "construction_dust.henan", "made_up_limit", 1)


def test_set_param_command_stores_an_audited_jurisdiction_value(app, session, tree) -> None:
    install_shipped_checklists(session)
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["checklists", "set-param", "410811", "construction_dust.henan", "monitoring_min_floor_area_m2", "5000"]
    )
    assert result.exit_code == 0, result.output
    assert checklist_parameters_for(session, ["410811"], "construction_dust.henan") == {
        "monitoring_min_floor_area_m2": 5000
    }
    assert (
        session.scalar(select(AuditEntry).where(AuditEntry.action == "checklist.parameter_set")).after["value"] == 5000
    )


def test_set_param_command_rejects_an_unknown_jurisdiction(app, session, tree) -> None:
    install_shipped_checklists(session)
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["checklists", "set-param", "999999", "construction_dust.henan", "monitoring_min_floor_area_m2", "5000"]
    )
    assert result.exit_code == 1
