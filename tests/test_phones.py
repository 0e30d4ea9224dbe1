"""Phone normalisation: the forms upstream services really send, and junk."""

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from app.rules.phones import InvalidPhone, is_cn_mobile, mask_phone, normalise_phone


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


# --- SMS reaches mobiles only ----------------------------------------------------------------

def _libphonenumber_says_mobile(e164: str) -> bool:
    """The reference: libphonenumber, parsed from text, valid and of an SMS-reachable type."""
    number = phonenumbers.parse(e164)
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _accepted(raw: str) -> bool:
    try:
        normalise_phone(raw)
    except InvalidPhone:
        return False
    return True


def test_the_fast_path_agrees_with_libphonenumber_on_every_1xx_and_1xxx_prefix() -> None:
    rng = random.Random(16)
    checked = disagreements = 0
    for prefix in [f"1{n:02d}" for n in range(100)] + [f"1{n:03d}" for n in range(1000)]:
        tails = ["0" * 8, "9" * 8, *(f"{rng.randrange(10**8):08d}" for _ in range(4))]
        for tail in tails:
            national = (prefix + tail)[:11]
            expected = _libphonenumber_says_mobile("+86" + national)
            checked += 1
            if is_cn_mobile(national) != expected or _accepted(national) != expected:
                disagreements += 1
    assert (checked, disagreements) == (6600, 0)


def test_the_fast_path_agrees_with_libphonenumber_to_the_fifth_digit() -> None:
    rng = random.Random(17)  # 1740[0-5] and 1610 are mobile ranges five digits long
    for prefix in range(10_000, 20_000):
        national = f"{prefix}{rng.randrange(10**6):06d}"
        assert is_cn_mobile(national) == _libphonenumber_says_mobile("+86" + national), national


@pytest.mark.parametrize("national", [
    "14012345678", "14112345678", "14212345678", "14312345678", "14412345678", "14612345678",
    "14812345678", "16012345678", "16112345678", "17406123456", "19412345678",
])
def test_unallocated_mobile_ranges_are_invalid_in_every_form(national: str) -> None:
    for raw in (national, "+86" + national, "0086" + national, "86" + national,
                f"+86 {national[:3]} {national[3:7]} {national[7:]}", _full_width(national)):
        with pytest.raises(InvalidPhone, match="not a valid number"):
            normalise_phone(raw)


@pytest.mark.parametrize("national", ["16100000000", "17405999999", "14512345678", "19912345678"])
def test_allocated_short_mobile_ranges_are_accepted(national: str) -> None:
    assert normalise_phone(national) == "+86" + national


def _full_width(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789+-()"}).replace(
        " ", "\u3000")


def _written_forms(trunk: str, subscriber: str) -> list[str]:
    """A mainland number (area code without its 0, subscriber number) as people write it."""
    nsn = trunk + subscriber
    spaced = f"{subscriber[:4]} {subscriber[4:]}"
    forms = [f"0{nsn}", f"0{trunk}-{subscriber}", f"0{trunk} {spaced}", f"(0{trunk}) {subscriber}",
             f"+86{nsn}", f"+86 {trunk} {spaced}", f"+86-{trunk}-{subscriber}",
             f"+86 0{trunk} {subscriber}", f"0086{nsn}", f"0086 {trunk} {subscriber}",
             f"86{nsn}", f"86 {trunk} {subscriber}", f"86-{trunk}-{subscriber}", nsn]
    return forms + [_full_width(form) for form in forms]


@pytest.mark.parametrize(("trunk", "subscriber", "kind"), [
    ("10", "12345678", "fixed line"),  # Beijing: 010-12345678
    ("755", "88888888", "fixed line"),  # Shenzhen: 0755-8888 8888
    ("21", "62345678", "fixed line"),  # Shanghai
])
def test_landlines_are_invalid_in_every_written_form(trunk: str, subscriber: str,
                                                     kind: str) -> None:
    for raw in _written_forms(trunk, subscriber):
        with pytest.raises(InvalidPhone, match=kind):
            normalise_phone(raw)


@pytest.mark.parametrize("raw", [
    "400-820-8820", "4008208820", "400 820 8820", "+86 400 820 8820", "+864008208820",
    "00864008208820", "864008208820", "＋８６ ４００ ８２０ ８８２０", "４００－８２０－８８２０",
])
def test_400_service_numbers_are_invalid_in_every_written_form(raw: str) -> None:
    with pytest.raises(InvalidPhone, match="shared-cost"):
        normalise_phone(raw)


@pytest.mark.parametrize(("raw", "kind"), [
    ("800-820-8820", "toll-free"),  # mainland toll-free
    ("+1 800 555 0199", "toll-free"),
    ("+44 20 7946 0958", "fixed line"),
    ("+44 70 1234 5678", "personal"),  # UK 070: forwards to any phone
    ("+44 56 1234 5678", "VoIP"),
    ("+61 2 9374 4000", "fixed line"),
    ("+852 2123 4567", "fixed line"),
])
def test_other_countries_non_mobile_numbers_are_invalid(raw: str, kind: str) -> None:
    with pytest.raises(InvalidPhone, match=kind):
        normalise_phone(raw)


@pytest.mark.parametrize(("raw", "e164"), [
    ("+1 212 555 0100", "+12125550100"),  # NANP: mobiles and landlines are not told apart
    ("+61 412 345 678", "+61412345678"),
    ("+44 7911 123456", "+447911123456"),
    ("013812345678", "+8613812345678"),  # a mobile with the trunk 0 some people add
])
def test_mobiles_elsewhere_are_accepted(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164
