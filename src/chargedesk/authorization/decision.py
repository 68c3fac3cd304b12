"""The authorization decision of RULES.md §3: plain values in, plain values out (no I/O, no ORM).

Every path that may start a session (OCPP Authorize and StartTransaction, remote start, OCPI real-time
authorization) asks `decide`, so a card is treated the same wherever it is presented.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Billing(StrEnum):
    free = "free"
    roaming = "roaming"
    paid = "paid"


@dataclass(frozen=True, slots=True)
class StationFacts:
    """What the decision needs to know about the station the id is presented at."""

    organization_id: str
    # The station's organisation and every organisation above it: a whitelisted token of one of these
    # charges free here (a partner's pass is free at its sub-organisations' stations, not the other way round).
    organization_ancestry: frozenset[str]
    access_mode: str = "public"  # public | whitelist
    location_private: bool = False


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """The token the presented id resolved to, and its standing at this station's location."""

    organization_id: str
    status: str = "active"  # active | blocked
    valid_until: datetime | None = None
    whitelist: bool = False
    external: bool = False
    group_id: str | None = None
    max_concurrent_transactions: int = 1
    # On the private location's list, by the token itself or by its customer.
    authorized_at_location: bool = False
    open_transactions: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    ocpp16: str  # IdTagInfo.status of OCPP 1.6
    ocpp201: str  # IdTokenInfo.status of OCPP 2.0.1
    ocpi_allowed: str | None  # OCPI AuthorizationInfo.allowed; None: the token is unknown (answer 404 / 2004)
    billing: Billing
    billing_reason: str | None  # "whitelist" for free sessions
    parent_id_tag: str | None
    failed_check: int | None  # the row of RULES.md §3 that decided a refusal; None when accepted

    @property
    def accepted(self) -> bool:
        return self.ocpp16 == "Accepted"


def whitelisted_here(station: StationFacts, token: TokenFacts) -> bool:
    return token.whitelist and token.organization_id in station.organization_ancestry


def billing_for(station: StationFacts, token: TokenFacts) -> tuple[Billing, str | None]:
    if whitelisted_here(station, token):
        return Billing.free, "whitelist"
    if token.external:
        return Billing.roaming, None
    return Billing.paid, None


def _refused(
    row: int, ocpp16: str, ocpp201: str, ocpi: str | None, token: TokenFacts | None, station: StationFacts
) -> Decision:
    billing, reason = billing_for(station, token) if token is not None else (Billing.paid, None)
    parent = token.group_id if token is not None else None
    return Decision(ocpp16, ocpp201, ocpi, billing, reason, parent, row)


def decide(station: StationFacts, token: TokenFacts | None, now: datetime) -> Decision:
    """The first failing check of RULES.md §3 decides; otherwise Accepted, with the session's billing."""
    if token is None:
        return _refused(1, "Invalid", "Unknown", None, None, station)
    if token.status == "blocked":
        return _refused(2, "Blocked", "Blocked", "BLOCKED", token, station)
    if token.valid_until is not None and token.valid_until <= now:
        return _refused(3, "Expired", "Expired", "EXPIRED", token, station)
    if station.location_private and not token.authorized_at_location:
        return _refused(4, "Invalid", "NotAtThisLocation", "NOT_ALLOWED", token, station)
    if station.access_mode == "whitelist" and not whitelisted_here(station, token):
        return _refused(5, "Invalid", "Invalid", "NOT_ALLOWED", token, station)
    if token.open_transactions >= token.max_concurrent_transactions:
        return _refused(6, "ConcurrentTx", "ConcurrentTx", "ALLOWED", token, station)
    billing, reason = billing_for(station, token)
    return Decision("Accepted", "Accepted", "ALLOWED", billing, reason, token.group_id, None)
