"""The identifier rules of RULES.md §1, without a database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chargedesk.tokens import identifiers as ids

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
compact_emaids = st.builds(
    lambda c, p, i: c + p + i,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    st.text(ALNUM, min_size=3, max_size=3),
    st.text(ALNUM, min_size=9, max_size=9),
)

# The examples published with the eMI3 "Check digit calculation for Contract-IDs", and two from the
# mobilityid library's documentation.
PUBLISHED = {
    "NN123ABCDEFGHI": "T",
    "FRXYZ123456789": "2",
    "ITA1B2C3E4F5G6": "4",
    "ESZU8WOX834H1D": "R",
    "PT73902837ABCZ": "Z",
    "DE83DUIEN83QGZ": "D",
    "DE83DUIEN83ZGQ": "M",
    "DE8AA001234567": "0",
    "NLTNM000122045": "U",
    "NLTNM000722345": "X",
}


@pytest.mark.parametrize(("compact", "digit"), PUBLISHED.items())
def test_published_check_digits(compact, digit):
    assert ids.check_digit(compact) == digit
    assert ids.check_digit(compact.lower()) == digit


@given(compact_emaids)
def test_check_digit_is_one_of_the_alphabet_and_validates(compact):
    digit = ids.check_digit(compact)
    assert digit in ALNUM
    formatted = f"{compact[:2]}-{compact[2:5]}-{compact[5:]}-{digit}"
    assert ids.normalize_auth_id(formatted) == formatted
    assert ids.normalize_auth_id(compact + digit) == compact + digit


@given(compact_emaids, st.integers(0, 13), st.sampled_from(ALNUM))
def test_any_single_character_error_is_detected(compact, position, replacement):
    if compact[position] == replacement:
        return
    changed = compact[:position] + replacement + compact[position + 1 :]
    assert ids.check_digit(changed) != ids.check_digit(compact)


@given(compact_emaids, st.integers(0, 12))
def test_adjacent_transpositions_are_detected(compact, position):
    a, b = compact[position], compact[position + 1]
    if a == b:
        return
    swapped = compact[:position] + b + a + compact[position + 2 :]
    assert ids.check_digit(swapped) != ids.check_digit(compact)


@given(compact_emaids)
def test_a_wrong_check_digit_is_refused_with_the_right_one(compact):
    right = ids.check_digit(compact)
    wrong = ALNUM[(ALNUM.index(right) + 1) % 36]
    with pytest.raises(ids.IdentifierError) as caught:
        ids.normalize_auth_id(f"{compact}{wrong}")
    assert caught.value.field == "auth_id"
    assert repr(right) in caught.value.message


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("NL-TNM-000122045-U", ("NL", "TNM", "000122045", "U")),
        ("NLTNM000122045U", ("NL", "TNM", "000122045", "U")),
        ("nl-tnm-000122045", ("NL", "TNM", "000122045", None)),
        ("NLTNM000122045", ("NL", "TNM", "000122045", None)),
        ("DE*8AA*001234567*0", ("DE", "8AA", "001234567", "0")),
    ],
)
def test_emaid_parsing_with_and_without_separators(value, parts):
    emaid = ids.parse_emaid(value)
    assert emaid is not None
    assert (emaid.country, emaid.provider, emaid.instance, emaid.check_digit) == parts


@pytest.mark.parametrize("value", ["NL-TNM-12345", "NL-TNM000122045-U", "N1-TNM-000122045", "04AAAB11CD2345", ""])
def test_not_emaids(value):
    assert ids.parse_emaid(value) is None


def test_an_emaid_without_check_digit_is_accepted():
    assert ids.normalize_auth_id("NL-TNM-000122045") == "NL-TNM-000122045"


@given(st.text(ALNUM, min_size=1, max_size=20), st.sampled_from(["", " ", "\t"]))
def test_uid_normalisation_is_idempotent_and_upper_case(uid, pad):
    once, _ = ids.normalize_uid(pad + uid.lower() + pad)
    assert once == uid.upper()
    assert ids.normalize_uid(once)[0] == once


@pytest.mark.parametrize("uid", ["04AAAB11", "04AAAB11CD2345", "04aaab11cd2345ef0102"])
def test_typical_chip_uids_have_no_warning(uid):
    assert ids.normalize_uid(uid)[1] == []


@pytest.mark.parametrize("uid", ["ABC", "04AAAB11CD23", "ZZZZZZZZ", "1" * 21])
def test_unusual_uids_are_accepted_with_a_warning(uid):
    value, warnings = ids.normalize_uid(uid)
    assert value == uid.upper()
    assert len(warnings) == 1 and warnings[0].field == "uid"


def test_a_21_character_uid_warns_about_ocpp_16():
    _, warnings = ids.normalize_uid("A" * 21)
    assert "OCPP 1.6" in warnings[0].message


@pytest.mark.parametrize("uid", ["04 AA", "04_AA", "Ünï", "A" * 37, "=cmd"])
def test_impossible_uids_are_refused(uid):
    with pytest.raises(ids.IdentifierError) as caught:
        ids.normalize_uid(uid)
    assert caught.value.field == "uid"


def test_visible_id_typed_as_uid_says_where_it_belongs():
    with pytest.raises(ids.IdentifierError) as caught:
        ids.check_identifiers("NL-TNM-B12345-6", None, None)
    assert caught.value.field == "uid"
    assert "visual_number" in caught.value.message and "visible ID" in caught.value.message


@pytest.mark.parametrize("value", ["04AAAB11CD2345", "0a1b2c3d", "04AAAB11CD2345EF0102"])
def test_chip_uid_typed_as_visual_number_says_where_it_belongs(value):
    with pytest.raises(ids.IdentifierError) as caught:
        ids.check_identifiers(None, "NL-TNM-000122045-U", value)
    assert caught.value.field == "visual_number"
    assert "chip UID" in caught.value.message and "put it in uid" in caught.value.message


def test_visual_numbers_are_upper_cased():
    assert ids.check_identifiers("04AAAB11", None, " nl-tnm-b12345-6 ").visual_number == "NL-TNM-B12345-6"


def test_auth_id_defaults_to_the_uid():
    result = ids.check_identifiers(" 04aaab11cd2345 ", "", None)
    assert (result.uid, result.auth_id) == ("04AAAB11CD2345", "04AAAB11CD2345")


def test_a_token_needs_a_uid_or_an_auth_id():
    with pytest.raises(ids.IdentifierError) as caught:
        ids.check_identifiers("  ", None, "NL-TNM-B12345-6")
    assert "uid" in caught.value.message and "auth_id" in caught.value.message


def test_auth_id_without_uid():
    result = ids.check_identifiers(None, "NL-TNM-000122045-U", None)
    assert result.uid is None and result.auth_id == "NL-TNM-000122045-U"
