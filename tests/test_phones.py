"""Phone normalisation: the forms upstream services really send, and junk."""

import pytest

from app.phones import InvalidPhone, mask_phone, normalise_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("86 138 1234 5678", "+8613812345678"),
        (" 138 1234 5678 ", "+8613812345678"),
        ("(+86) 19912345678", "+8619912345678"),
        ("+14155550100", "+14155550100"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("001 415 555 0100", "+14155550100"),
        ("+44 7911 123456", "+447911123456"),
        ("+852 5123 4567", "+85251234567"),
    ],
)
def test_common_forms_normalise_to_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "", "   ", "abc", "12345", "138123456789", "1381234567", "+86 12812345678",
        "+8601012345678", "+1 555", "phone: 13812345678", "13812345678; DROP TABLE",
        "+", "++8613812345678", "0000000000000",
    ],
)
def test_junk_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


@pytest.mark.parametrize("raw", [None, 13812345678, ["13812345678"], {"n": 1}])
def test_non_strings_are_rejected(raw: object) -> None:
    with pytest.raises(InvalidPhone, match="string"):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "138１２３４５６７８",  # mixed width: once a second, non-ASCII "E.164" recipient
        "１３８１２３４５６７８",
        "＋８６\u3000１３８\u3000１２３４\u3000５６７８",  # full-width, ideographic spaces
        "＋８６ １３８ １２３４ ５６７８",
        "＋８６－１３８－１２３４－５６７８",
        "（＋８６）１３８１２３４５６７８",
        "００８６１３８１２３４５６７８",
        "+86 138\u00a01234\u00a05678",
    ],
)
def test_full_width_forms_are_the_same_recipient(raw: str) -> None:
    e164 = normalise_phone(raw)
    assert e164 == "+8613812345678"
    assert e164.isascii()


@pytest.mark.parametrize(
    "raw",
    [
        "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits: not folded by NFKC, so not a phone here
        "138١٢٣٤٥٦٧٨",
        "+86 ১৩৮১২৩৪৫৬৭৮",  # Bengali digits
    ],
)
def test_other_scripts_digits_are_rejected_not_turned_into_new_recipients(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_full_width_international_numbers_normalise() -> None:
    assert normalise_phone("＋１ （４１５） ５５５－０１００") == "+14155550100"


def test_national_numbers_use_the_default_region() -> None:
    assert normalise_phone("(415) 555-0100", default_region="US") == "+14155550100"


def test_mask_keeps_only_prefix_and_last_four_digits() -> None:
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert "1234" not in mask_phone("+8613812345678")
    assert mask_phone("+14155550100").endswith("0100")
    assert mask_phone(None) == ""
