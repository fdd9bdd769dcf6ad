"""Pure rules: the check characters of a party's identifiers (GB 32100, GB 11643) and who sees system jobs."""

from __future__ import annotations

from app.cases.party_rules import id_number_check_character, party_errors
from app.jobs.visibility import sees_system_jobs


def test_id_number_check_character_follows_gb_11643() -> None:
    assert id_number_check_character("11010519491231002") == "X"  # the standard's own example
    assert id_number_check_character("41081119900101123") == "9"


def test_party_errors_name_each_bad_identifier() -> None:
    errors = party_errors({"credit_code": "91410811LTDM00010B", "id_number": "410811199001011234"})
    assert {(e.path, e.code) for e in errors} == {
        ("credit_code", "credit_code_check"),
        ("id_number", "id_number_check_failed"),
    }
    assert party_errors({"credit_code": "91410811LTDM00010A", "id_number": "11010519491231002x"}) == []
    assert party_errors({"credit_code": None, "name": "某公司"}) == []


def test_only_an_admin_of_a_root_jurisdiction_sees_system_jobs() -> None:
    assert sees_system_jobs(["/410000/"])
    assert not sees_system_jobs(["/410000/410800/410822/"])
    assert sees_system_jobs(["/410000/410800/", "/420000/"])
