import hashlib
import json
from pathlib import Path

from app.checklists.canonical import content_hash
from app.checklists.files import load_checklist_file

CHECKLISTS = Path(__file__).resolve().parents[2] / "checklists"


def test_content_hash_is_canonical_and_stable():
    a = {"b": 1, "a": "蓝天"}
    b = {"a": "蓝天", "b": 1}
    assert content_hash(a) == content_hash(b)
    expected = hashlib.sha256('{"a":"蓝天","b":1}'.encode()).hexdigest()
    assert content_hash(a) == expected


def test_served_json_equals_file_data_and_hash_is_stable():
    path = CHECKLISTS / "construction_dust_erqi_2018.yaml"
    doc = load_checklist_file(path)
    served = json.loads(json.dumps(doc, ensure_ascii=False))
    assert served == doc
    assert doc["effective"] == {"from": "2018-10-01", "to": "2019-03-31"}  # dates stay strings
    assert content_hash(served) == content_hash(load_checklist_file(path))
