"""统一社会信用代码 validation (GB 32100-2015)."""

from __future__ import annotations

import pytest

from app.sites.credit_code import (
    CHARSET,
    WEIGHTS,
    check_character,
    credit_code_error,
    make_credit_code,
    organization_check_character,
    validate_credit_code,
)

# Codes published on business licences / company disclosures. Each passes both the
# GB 11714 and the GB 32100 check (a random 18-character string would pass both with
# probability 1/341), which is how they were verified here.
PUBLISHED = [
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110000710926094P",  # 中国石油化工股份有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
]


def test_weights_are_powers_of_three_modulo_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_charset_has_31_characters_without_i_o_z_s_v():
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert validate_credit_code(code)
    assert credit_code_error(code) is None


def test_lower_case_and_surrounding_spaces_are_accepted():
    assert validate_credit_code("  91110108551385082q ")


@pytest.mark.parametrize("code", PUBLISHED)
def test_changing_the_check_character_makes_a_code_invalid(code):
    wrong = CHARSET[(CHARSET.index(code[-1]) + 1) % 31]
    err = credit_code_error(code[:-1] + wrong)
    assert err is not None and err.code == "credit_code_check"


@pytest.mark.parametrize("code", PUBLISHED)
def test_swapping_two_adjacent_division_digits_is_detected(code):
    i = 3 if code[3] != code[4] else 5
    mutated = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    assert not validate_credit_code(mutated)


def test_every_single_character_substitution_is_detected():
    code = PUBLISHED[0]
    for pos in range(18):
        for ch in CHARSET:
            if ch != code[pos]:
                assert not validate_credit_code(code[:pos] + ch + code[pos + 1 :]), (pos, ch)


def test_a_forbidden_letter_is_reported_as_charset_error():
    err = credit_code_error("91330100799655058O")
    assert err is not None and err.code == "credit_code_charset"
    assert "O" in err.message_zh and "O" in err.message_en


@pytest.mark.parametrize("code", ["", "9133010079965505", "91330100799655058BX"])
def test_wrong_length_is_reported(code):
    err = credit_code_error(code)
    assert err is not None and err.code == "credit_code_length"


def test_letters_in_the_division_code_are_rejected():
    first = "91A30100" + "79965505" + "8"
    code = first + check_character(first)
    assert credit_code_error(code).code == "credit_code_division"


def test_bad_organisation_check_digit_is_reported():
    body = "00000001"
    wrong = "0" if organization_check_character(body) != "0" else "1"
    first = "91410811" + body + wrong
    code = first + check_character(first)
    assert credit_code_error(code).code == "credit_code_org_check"


def test_non_string_is_rejected():
    assert not validate_credit_code(None)  # type: ignore[arg-type]


def test_error_carries_path_and_both_languages():
    err = credit_code_error("123", path="sites[2].operator.credit_code")
    assert err.path == "sites[2].operator.credit_code"
    assert err.message_zh and err.message_en


def test_make_credit_code_builds_valid_codes():
    code = make_credit_code("9", "1", "410811", "LT000001")
    assert len(code) == 18 and validate_credit_code(code)


def test_make_credit_code_refuses_forbidden_letters():
    with pytest.raises(ValueError):
        make_credit_code("9", "1", "410811", "DEMO0001")
