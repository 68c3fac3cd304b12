"""Pass (charge token) forms ⇄ token API bodies, and the identifier checks shown as the user types.

A pass is added either by its Public Card ID (the visible ID printed on the card → visual_number; recommended)
or by its Hidden ID (the chip UID → uid). Both checks are tokens/identifiers.py's, so the portal, the API and
the imports refuse the same values with the same messages."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from chargedesk.portal.forms import FormError
from chargedesk.tokens import identifiers
from chargedesk.tokens.schemas import TokenOut

VISUAL = "visual"
HIDDEN = "uid"
CHECKED = ("uid", "visual_number", "auth_id")  # the fields checked as the user types
NEW_FIELDS = {"mode", "customer_id", "visual_number", "uid", "auth_id", "nickname", "whitelist"}
EDIT_FIELDS = {
    "organization_id", "customer_id", "visual_number", "type", "issuer", "nickname", "status", "valid_until",
    "whitelist", "external", "group_id", "max_concurrent_transactions",
}  # fmt: skip
# What the user should do instead, added to the identifier rule's message for the two classic mistakes.
_HIDDEN_HINT = "Choose “Public Card ID” for the number printed on the card."
_VISUAL_HINT = "Choose “Hidden ID” for a chip UID read at a station."


@dataclass
class Check:
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def check(name: str, value: str | None) -> Check:
    """The inline verdict on one identifier as typed so far (blank: nothing to say yet)."""
    value = (value or "").strip()
    if not value or name not in CHECKED:
        return Check()
    try:
        if name == "uid":
            return Check(warnings=[w.message for w in identifiers.normalize_uid(value)[1]])
        if name == "visual_number":
            identifiers.normalize_visual_number(value)
        else:
            identifiers.normalize_auth_id(value)
    except identifiers.IdentifierError as exc:
        return Check(error=hinted(name, value, exc.message))
    return Check()


def hinted(name: str, value: str, message: str) -> str:
    if name == "uid" and "-" in value:
        return f"{message}. {_HIDDEN_HINT}"
    if name == "visual_number" and identifiers.looks_like_chip_uid(value.strip().upper()):
        return f"{message}. {_VISUAL_HINT}"
    return message


def new_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: form.get(name, "") for name in NEW_FIELDS}
    values["mode"] = HIDDEN if form.get("mode") == HIDDEN else VISUAL
    values["whitelist"] = form.get("whitelist") == "on"
    return values


def new_body(values: dict[str, Any]) -> dict[str, Any]:
    """The TokenIn body of the "+ Add pass" form. Only the chosen identifier is sent; the contract ID defaults to
    the visible ID (Public Card ID) or, by the token rules, to the chip UID (Hidden ID)."""
    visual = (values["visual_number"] or "").strip()
    uid = (values["uid"] or "").strip()
    auth_id = (values["auth_id"] or "").strip() or None
    if values["mode"] == VISUAL:
        if not visual:
            raise FormError("visual_number", "Enter the visible ID printed on the card, e.g. NL-TNM-B12345-6.")
        body = {"visual_number": visual, "auth_id": auth_id or visual.upper()}
    else:
        if not uid:
            raise FormError(
                "uid", "Enter the chip UID, e.g. 04AAAB11CD2345 (the idTag of the station's Authorize log)."
            )
        body = {"uid": uid, "auth_id": auth_id}
    return body | {
        "customer_id": values["customer_id"] or None,
        "nickname": (values["nickname"] or "").strip() or None,
        "whitelist": values["whitelist"],
    }


def edit_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: form.get(name, "") for name in EDIT_FIELDS}
    values["whitelist"] = form.get("whitelist") == "on"
    values["external"] = form.get("external") == "on"
    return values


def edit_body(values: dict[str, Any]) -> dict[str, Any]:
    """The TokenPatch body of the pass page's form: every editable field (uid and auth_id never change)."""
    body: dict[str, Any] = {}
    for name in EDIT_FIELDS - {"whitelist", "external"}:
        value = values[name]
        body[name] = value.strip() or None if isinstance(value, str) else value
    if body["organization_id"] is None:
        body.pop("organization_id")
    for name in ("type", "status", "max_concurrent_transactions"):
        if body[name] is None:
            raise FormError(name, f"Choose a {name.replace('_', ' ')}.")
    return body | {"whitelist": values["whitelist"], "external": values["external"]}


def token_values(token: TokenOut) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in EDIT_FIELDS:
        value = getattr(token, name)
        values[name] = "" if value is None else value
    if isinstance(token.valid_until, datetime):
        values["valid_until"] = token.valid_until.strftime("%Y-%m-%dT%H:%M")
    return values
