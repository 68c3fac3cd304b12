"""RULES.md §3, row by row: the pure decision, without a database or a socket."""

from datetime import UTC, datetime, timedelta

import pytest

from chargedesk.authorization.decision import Billing, StationFacts, TokenFacts, decide

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Operator "op" with a sub-organisation "sub"; the station belongs to "sub".
STATION = StationFacts(organization_id="sub", organization_ancestry=frozenset({"sub", "op"}))
PRIVATE = StationFacts("sub", frozenset({"sub", "op"}), location_private=True)
WHITELIST = StationFacts("sub", frozenset({"sub", "op"}), access_mode="whitelist")
TOKEN = TokenFacts(organization_id="sub", group_id="GROUP-1")


def token(**changes) -> TokenFacts:
    fields = {f: getattr(TOKEN, f) for f in TOKEN.__dataclass_fields__}
    return TokenFacts(**(fields | changes))


ROWS = [
    # (case, station, token, ocpp16, ocpp201, ocpi, failed row)
    ("unknown id", STATION, None, "Invalid", "Unknown", None, 1),
    ("blocked", STATION, token(status="blocked"), "Blocked", "Blocked", "BLOCKED", 2),
    (
        "blocked before expired",
        STATION,
        token(status="blocked", valid_until=NOW - timedelta(days=1)),
        "Blocked",
        "Blocked",
        "BLOCKED",
        2,
    ),
    ("expired", STATION, token(valid_until=NOW - timedelta(seconds=1)), "Expired", "Expired", "EXPIRED", 3),
    ("expires exactly now", STATION, token(valid_until=NOW), "Expired", "Expired", "EXPIRED", 3),
    ("expired before private", PRIVATE, token(valid_until=NOW - timedelta(days=1)), "Expired", "Expired", "EXPIRED", 3),
    ("not on the private list", PRIVATE, token(), "Invalid", "NotAtThisLocation", "NOT_ALLOWED", 4),
    (
        "not on the list, even whitelisted",
        PRIVATE,
        token(whitelist=True),
        "Invalid",
        "NotAtThisLocation",
        "NOT_ALLOWED",
        4,
    ),
    ("on the private list", PRIVATE, token(authorized_at_location=True), "Accepted", "Accepted", "ALLOWED", None),
    ("whitelist station, not whitelisted", WHITELIST, token(), "Invalid", "Invalid", "NOT_ALLOWED", 5),
    (
        "whitelist station, whitelisted in a sibling org",
        WHITELIST,
        token(whitelist=True, organization_id="other"),
        "Invalid",
        "Invalid",
        "NOT_ALLOWED",
        5,
    ),
    (
        "whitelist station, whitelisted of a sub-org of the station's",
        StationFacts("op", frozenset({"op"}), "whitelist"),
        token(whitelist=True, organization_id="sub"),
        "Invalid",
        "Invalid",
        "NOT_ALLOWED",
        5,
    ),
    (
        "whitelist station, whitelisted same org",
        WHITELIST,
        token(whitelist=True),
        "Accepted",
        "Accepted",
        "ALLOWED",
        None,
    ),
    (
        "whitelist station, whitelisted ancestor org",
        WHITELIST,
        token(whitelist=True, organization_id="op"),
        "Accepted",
        "Accepted",
        "ALLOWED",
        None,
    ),
    ("concurrent transaction", STATION, token(open_transactions=1), "ConcurrentTx", "ConcurrentTx", "ALLOWED", 6),
    (
        "below a raised limit",
        STATION,
        token(open_transactions=1, max_concurrent_transactions=2),
        "Accepted",
        "Accepted",
        "ALLOWED",
        None,
    ),
    (
        "at a raised limit",
        STATION,
        token(open_transactions=2, max_concurrent_transactions=2),
        "ConcurrentTx",
        "ConcurrentTx",
        "ALLOWED",
        6,
    ),
    ("accepted", STATION, token(), "Accepted", "Accepted", "ALLOWED", None),
    ("valid until later", STATION, token(valid_until=NOW + timedelta(days=1)), "Accepted", "Accepted", "ALLOWED", None),
]


@pytest.mark.parametrize(("case", "station", "tok", "ocpp16", "ocpp201", "ocpi", "row"), ROWS, ids=[r[0] for r in ROWS])
def test_every_row(case, station, tok, ocpp16, ocpp201, ocpi, row):
    decision = decide(station, tok, NOW)
    assert (decision.ocpp16, decision.ocpp201, decision.ocpi_allowed, decision.failed_check) == (
        ocpp16,
        ocpp201,
        ocpi,
        row,
    )
    assert decision.accepted is (row is None)


BILLING = [
    ("whitelisted, same org", STATION, token(whitelist=True), Billing.free, "whitelist"),
    ("whitelisted, ancestor org", STATION, token(whitelist=True, organization_id="op"), Billing.free, "whitelist"),
    ("whitelisted at a public station too", STATION, token(whitelist=True), Billing.free, "whitelist"),
    (
        "whitelisted of a sub-org at the parent's station",
        StationFacts("op", frozenset({"op"})),
        token(whitelist=True, organization_id="sub"),
        Billing.paid,
        None,
    ),
    ("whitelisted elsewhere", STATION, token(whitelist=True, organization_id="other"), Billing.paid, None),
    ("external", STATION, token(external=True, organization_id="other"), Billing.roaming, None),
    ("external and whitelisted here", STATION, token(external=True, whitelist=True), Billing.free, "whitelist"),
    ("ordinary", STATION, token(), Billing.paid, None),
]


@pytest.mark.parametrize(("case", "station", "tok", "billing", "reason"), BILLING, ids=[b[0] for b in BILLING])
def test_billing(case, station, tok, billing, reason):
    decision = decide(station, tok, NOW)
    assert decision.accepted
    assert (decision.billing, decision.billing_reason) == (billing, reason)


def test_parent_id_tag_is_the_group_id():
    assert decide(STATION, token(), NOW).parent_id_tag == "GROUP-1"
    assert decide(STATION, token(group_id=None), NOW).parent_id_tag is None
    assert decide(STATION, token(status="blocked"), NOW).parent_id_tag == "GROUP-1"
    assert decide(STATION, None, NOW).parent_id_tag is None
