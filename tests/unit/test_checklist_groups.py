"""Repeatable groups (app/checklists/groups.py): expansion per object, conditions on the object's own answers,
bounds, item lookup by object key, and the catalogue's checks of a group."""

from __future__ import annotations

import copy
from pathlib import Path

from jsonschema import Draft202012Validator

from app.checklists.files import load_checklist_file, load_schema
from app.checklists.groups import (
    condition_answers,
    expand_checklist,
    group_errors,
    item_doc,
    object_identity,
    object_ref,
    split_key,
)
from app.checklists.site_kinds import load_site_kinds
from app.checklists.sources import seed_item_index
from app.checklists.validation import validate_checklist

CHECKLISTS = Path(__file__).resolve().parents[2] / "checklists"


def nrmm() -> dict:
    return load_checklist_file(CHECKLISTS / "nrmm_labels.yaml")


def test_object_keys_name_group_index_and_item():
    ref = split_key("machines.12.emission_stage")
    assert ref is not None and (ref.group, ref.index, ref.item) == ("machines", 12, "emission_stage")
    assert split_key("usage_ledger") is None
    assert split_key("alert.m12") is None  # a reduction-list measure item, not a group
    assert split_key("machines.01.label") is None  # one spelling per index


def test_expansion_repeats_group_items_per_answered_object_at_least_min():
    doc = nrmm()
    served = expand_checklist(doc)  # min 1: the first machine is served before anything is answered
    assert "machines.0.emission_stage" in {i["key"] for i in served["items"]}
    assert not any(i["key"].startswith("machines.1.") for i in served["items"])
    three = expand_checklist(doc, ["machines.2.label"])
    keys = [i["key"] for i in three["items"]]
    assert {f"machines.{m}.emission_stage" for m in range(3)} <= set(keys)
    item = next(i for i in three["items"] if i["key"] == "machines.2.emission_stage")
    assert item["object"]["group"] == "machines" and item["object"]["index"] == 2
    assert item["source"] == ["000#14"]  # citation kept per object
    assert len(expand_checklist(doc, ["machines.150.label"])["items"]) < 2000  # never past max


def test_group_conditions_read_the_same_objects_answers():
    voc = load_checklist_file(CHECKLISTS / "voc_sealing_erqi_2018.yaml")
    item = item_doc(voc, "tanks.3.tank_type_high_pressure")
    assert item is not None
    assert item["applies_when"] == {
        "some": [{"var": "answers.tanks.3.true_vapour_pressure.values"}, {">=": [{"var": ""}, 76.6]}]
    }
    nested = condition_answers({"tanks.3.true_vapour_pressure": {"values": [90]}, "loading_method": {"choice": "x"}})
    assert nested["tanks"]["3"]["true_vapour_pressure"] == {"values": [90]}
    assert nested["loading_method"] == {"choice": "x"}


def test_bounds_and_gaps_are_errors_naming_the_group():
    doc = nrmm()
    assert [e.code for e in group_errors(doc, [])] == ["group_min"]
    assert group_errors(doc, ["machines.0.label", "machines.1.label"]) == []
    gap = group_errors(doc, ["machines.0.label", "machines.2.label"])
    assert [(e.path, e.code) for e in gap] == [("answers.machines.1", "group_object_missing")]
    over = group_errors(doc, ["machines.100.label"])
    assert "group_max" in {e.code for e in over}
    assert all(e.message_zh and e.message_en for e in over)


def test_object_ref_carries_the_label_and_what_an_object_is_called():
    answers = {"machines.1.label": {"text": " 2号装载机 "}}
    ref = object_ref(nrmm(), answers, "machines.1.emission_stage")
    assert ref is not None and ref.label == "2号装载机"
    assert ref.name() == ("第2台「2号装载机」", "machine #2 '2号装载机'")
    assert object_ref(nrmm(), answers, "usage_ledger") is None


def _validate(doc: dict) -> set[tuple[str, str]]:
    errors = validate_checklist(
        doc,
        where="t",
        index=seed_item_index(CHECKLISTS / "sources"),
        site_kinds=load_site_kinds(CHECKLISTS / "site_kinds.yaml"),
        penalty_rule_keys=None,
        validator=Draft202012Validator(load_schema()),
    )
    return {(e.path, e.code) for e in errors}


def test_the_catalogue_checks_a_groups_label_item_and_object_conditions():
    assert _validate(nrmm()) == set()
    doc = copy.deepcopy(nrmm())
    group = doc["groups"][0]
    group["label_item"] = "emission_stage"  # a choice cannot name a machine
    stage = next(i for i in group["items"] if i["key"] == "emission_stage")
    stage["applies_when"] = {"==": [{"var": "object.positioning_device.verdict"}, "pass"]}  # written later
    found = _validate(doc)
    assert ("t.groups.0.label_item", "label_item_invalid") in found
    assert ("t.groups.0.items.3.applies_when", "answer_ref_not_earlier") in found
    stage["applies_when"] = {"==": [{"var": "object.nonexistent.verdict"}, "pass"]}
    assert ("t.groups.0.items.3.applies_when", "condition_invalid") in _validate(doc)


def test_an_object_is_the_same_object_by_its_label_whatever_its_place_in_the_list() -> None:
    assert object_identity("machines.1.emission_stage", "豫H 12345") == object_identity(
        "machines.0.emission_stage", "豫ｈ12345"
    )  # spaces, case and full-width forms do not matter
    assert object_identity("machines.0.emission_stage", "A") != object_identity("machines.0.emission_stage", "B")
    assert object_identity("machines.0.emission_stage", "A") != object_identity("machines.0.label", "A")
    # without a label the index is all there is; a checklist's own item is its key
    assert object_identity("machines.0.emission_stage", None) == "machines.0.emission_stage"
    assert object_identity("machines.0.emission_stage", "  ") == "machines.0.emission_stage"
    assert object_identity("hoarding", "anything") == "hoarding"
