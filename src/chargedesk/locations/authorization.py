"""Authorization lists (RULES.md §2): the customers and tokens that may charge at a private location.

A location is private exactly while its list is not empty. Adding the first entry unpublishes it; emptying the
list leaves it unpublished until an operator publishes it. Every change is an audit event in the same
transaction; the caller commits, then tells the stations (`events.list_changed`)."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.audit import service as audit
from chargedesk.auth.deps import Principal
from chargedesk.customers.models import Customer
from chargedesk.db import one_of, utcnow
from chargedesk.errors import Invalid, NotFound, Problem
from chargedesk.ids import new_id
from chargedesk.locations import service as locations
from chargedesk.locations.models import Location, LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.organizations.models import Organization
from chargedesk.pagination import PageParams, encode_cursor
from chargedesk.tokens import identifiers
from chargedesk.tokens.models import Token
from chargedesk.tokens.service import token_keys, tokens_with_keys

AUDIT_IDS_MAX = 1000


@dataclass
class ListChange:
    """What one change did, and the list's size after it."""

    added: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    external_created: list[str] = field(default_factory=list)
    customer_count: int = 0
    token_count: int = 0
    published: bool = False

    @property
    def private(self) -> bool:
        return self.customer_count + self.token_count > 0


async def sizes(session: AsyncSession, location_id: str) -> tuple[int, int]:
    customers = await session.scalar(select(func.count()).where(LocationAuthorizedCustomer.location_id == location_id))
    tokens = await session.scalar(select(func.count()).where(LocationAuthorizedToken.location_id == location_id))
    return int(customers or 0), int(tokens or 0)


async def is_authorized(session: AsyncSession, location_id: str, token_id: str, customer_id: str | None) -> bool:
    """Is this token on the location's list, by itself or through its customer? Primary-key lookups only."""
    found = await session.scalar(
        select(LocationAuthorizedToken.token_id).where(
            LocationAuthorizedToken.location_id == location_id, LocationAuthorizedToken.token_id == token_id
        )
    )
    if found is not None or customer_id is None:
        return found is not None
    found = await session.scalar(
        select(LocationAuthorizedCustomer.customer_id).where(
            LocationAuthorizedCustomer.location_id == location_id,
            LocationAuthorizedCustomer.customer_id == customer_id,
        )
    )
    return found is not None


async def finish_change(
    session: AsyncSession,
    principal: Principal,
    location: Location,
    change: ListChange,
    was_empty: bool,
    action: str,
    method: str,
    **details: Any,
) -> ListChange:
    change.customer_count, change.token_count = await sizes(session, location.id)
    if was_empty and change.private and location.published:
        location.published = False  # RULES.md §2: the first entry makes the location private and unpublished
    if change.added or change.removed or change.external_created or details:
        location.updated_at = utcnow()
        listed = {"added": change.added, "removed": change.removed, "external_created": change.external_created}
        for name, ids in listed.items():
            # Ids are kept for the changes a person makes; a large import is summed up by its counts.
            details[name] = ids if len(ids) <= AUDIT_IDS_MAX else {"count": len(ids)}
        await audit.record(
            session, principal, location.organization_id, f"location:{location.id}", action, method, **details
        )
    await session.flush()
    change.published = location.published
    return change


async def _visible(
    session: AsyncSession, principal: Principal, model: Any, ids: list[str], field: str, hint: str
) -> list[str]:
    """`ids` without repeats, once each is known to be a visible row of `model`; else 422 naming the unknown ones."""
    wanted = list(dict.fromkeys(ids))
    query = select(model.id).where(model.id.in_(wanted), model.organization_id.in_(principal.visible))
    found = set((await session.scalars(query)).all())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(field, f"No {hint[0]} with id {', '.join(missing)} in your organization tree; {hint[1]}")
    return wanted


_CUSTOMERS = ("customer", "find customers with GET /api/v1/customers?q=…")
_TOKENS = ("charge token", "find tokens with GET /api/v1/tokens?q=<Auth ID or Chip ID>")


async def add_customers(
    session: AsyncSession, principal: Principal, location_id: str, customer_ids: list[str], method: str = "batch"
) -> ListChange:
    location = await locations.get(session, principal, location_id)
    wanted = await _visible(session, principal, Customer, customer_ids, "customer_ids", _CUSTOMERS)
    was_empty = sum(await sizes(session, location.id)) == 0
    present = set(
        (
            await session.scalars(
                select(LocationAuthorizedCustomer.customer_id).where(
                    LocationAuthorizedCustomer.location_id == location.id,
                    LocationAuthorizedCustomer.customer_id.in_(wanted),
                )
            )
        ).all()
    )
    change = ListChange(already_present=[i for i in wanted if i in present])
    change.added = [i for i in wanted if i not in present]
    session.add_all(LocationAuthorizedCustomer(location_id=location.id, customer_id=i) for i in change.added)
    return await finish_change(session, principal, location, change, was_empty, "authorization.customers.added", method)


async def remove_customers(
    session: AsyncSession,
    principal: Principal,
    location_id: str,
    customer_ids: list[str] | None,
    method: str = "batch",
) -> ListChange:
    """Remove these customers from the list (all of them with None); ids not on the list are reported."""
    location = await locations.get(session, principal, location_id)
    entries = select(LocationAuthorizedCustomer.customer_id).where(
        LocationAuthorizedCustomer.location_id == location.id
    )
    if customer_ids is not None:
        entries = entries.where(LocationAuthorizedCustomer.customer_id.in_(customer_ids))
    present = set((await session.scalars(entries)).all())
    change = ListChange()
    if customer_ids is None:
        change.removed = sorted(present)
    else:
        change.removed = [i for i in dict.fromkeys(customer_ids) if i in present]
        change.not_found = [i for i in dict.fromkeys(customer_ids) if i not in present]
    if method == "single" and change.not_found:
        raise NotFound(f"Customer {change.not_found[0]!r} is not on this location's authorization list.")
    if change.removed:
        await session.execute(
            delete(LocationAuthorizedCustomer).where(
                LocationAuthorizedCustomer.location_id == location.id,
                LocationAuthorizedCustomer.customer_id.in_(change.removed),
            )
        )
    return await finish_change(session, principal, location, change, False, "authorization.customers.removed", method)


class ExternalTokens:
    """Resolves auth IDs (or chip UIDs) to the tokens of a location's organisation tree, and makes an external
    token (external=true) for each one the platform does not know. Used by single adds and by the import."""

    def __init__(self, session: AsyncSession, principal: Principal, location: Location, root_id: str) -> None:
        self.session = session
        self.principal = principal
        self.location = location
        self.root_id = root_id

    async def resolve(self, keys: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """For each upper-cased key: the token it names (a row of id, organization_id, uid, auth_key), or the
        reason it cannot be used."""
        found: dict[str, Any] = {}
        wanted = set(keys)
        for token in await token_keys(self.session, self.root_id, keys):
            for key in (token.auth_key, token.uid):
                if key in wanted:
                    found.setdefault(key, token)
        problems: dict[str, str] = {}
        for key, token in found.items():
            if token.organization_id not in self.principal.visible:
                problems[key] = f"{key!r} is a token of an organization outside your key's organization tree"
        unknown = [k for k in keys if k not in found]
        if unknown:
            elsewhere = await self.session.scalars(
                select(Token.auth_key).where(
                    one_of(Token.auth_key, unknown, self.session.bind.dialect.name),
                    Token.root_organization_id != self.root_id,
                )
            )
            for key in elsewhere:
                problems[key] = (
                    f"{key!r} is a charge token of another organisation on this platform: it cannot be added here"
                )
        return found, problems

    def external(self, auth_id: str, uid: str | None = None) -> dict[str, Any]:
        now = utcnow()
        return {
            "id": new_id("tok"),
            "organization_id": self.location.organization_id,
            "root_organization_id": self.root_id,
            "customer_id": None,
            "uid": uid,
            "auth_id": auth_id,
            "auth_key": identifiers.auth_key(auth_id),
            "visual_number": None,
            "type": "OTHER",
            "nickname": None,
            "status": "active",
            "valid_until": None,
            "whitelist": False,
            "external": True,
            "max_concurrent_transactions": 1,
            "created_at": now,
            "updated_at": now,
        }


async def root_of(session: AsyncSession, organization_id: str) -> str:
    return str(await session.scalar(select(Organization.root_id).where(Organization.id == organization_id)))


async def add_tokens(
    session: AsyncSession,
    principal: Principal,
    location_id: str,
    token_ids: list[str],
    auth_ids: list[str],
    method: str = "batch",
) -> ListChange:
    location = await locations.get(session, principal, location_id)
    wanted = await _visible(session, principal, Token, token_ids, "token_ids", _TOKENS)
    errors = []
    normalized: list[str] = []
    for index, value in enumerate(auth_ids):
        try:
            normalized.append(identifiers.normalize_auth_id(value))
        except identifiers.IdentifierError as exc:
            errors.append({"field": f"auth_ids.{index}", "message": exc.message})
    resolver = ExternalTokens(session, principal, location, await root_of(session, location.organization_id))
    keys = list(dict.fromkeys(identifiers.auth_key(a) for a in normalized))
    found, problems = await resolver.resolve(keys)
    errors.extend({"field": "auth_ids", "message": message} for message in problems.values())
    if errors:
        raise Problem("Some auth IDs cannot be added; nothing was changed.", status=422, errors=errors)
    externals = []
    for auth_id in dict.fromkeys(normalized):
        token = found.get(identifiers.auth_key(auth_id))
        if token is None:
            externals.append(resolver.external(auth_id))
        else:
            wanted.append(token.id)
    was_empty = sum(await sizes(session, location.id)) == 0
    change = ListChange(external_created=[e["id"] for e in externals])
    if externals:
        session.add_all(Token(**e) for e in externals)
        await session.flush()
    wanted = list(dict.fromkeys(wanted + change.external_created))
    present = set(
        (
            await session.scalars(
                select(LocationAuthorizedToken.token_id).where(
                    LocationAuthorizedToken.location_id == location.id, LocationAuthorizedToken.token_id.in_(wanted)
                )
            )
        ).all()
    )
    change.already_present = [i for i in wanted if i in present]
    change.added = [i for i in wanted if i not in present]
    session.add_all(LocationAuthorizedToken(location_id=location.id, token_id=i) for i in change.added)
    return await finish_change(session, principal, location, change, was_empty, "authorization.tokens.added", method)


async def remove_tokens(
    session: AsyncSession,
    principal: Principal,
    location_id: str,
    token_ids: list[str] | None,
    auth_ids: list[str] | None = None,
    method: str = "batch",
) -> ListChange:
    """Remove these tokens from the list (all of them with token_ids None and no auth_ids)."""
    location = await locations.get(session, principal, location_id)
    on_list = select(LocationAuthorizedToken.token_id).where(LocationAuthorizedToken.location_id == location.id)
    change = ListChange()
    if token_ids is None and not auth_ids:
        change.removed = sorted((await session.scalars(on_list)).all())
    else:
        named = list(dict.fromkeys(token_ids or []))
        if auth_ids:
            keys = [identifiers.auth_key(a.strip()) for a in auth_ids]
            by_key = {
                t.auth_key: t.id
                for t in await tokens_with_keys(session, await root_of(session, location.organization_id), keys)
            }
            change.not_found.extend(a for a, k in zip(auth_ids, keys, strict=True) if k not in by_key)
            named.extend(by_key[k] for k in keys if k in by_key)
        present = set((await session.scalars(on_list.where(LocationAuthorizedToken.token_id.in_(named)))).all())
        change.removed = [i for i in dict.fromkeys(named) if i in present]
        change.not_found.extend(i for i in dict.fromkeys(named) if i not in present)
    if method == "single" and change.not_found:
        raise NotFound(f"Charge token {change.not_found[0]!r} is not on this location's authorization list.")
    for start in range(0, len(change.removed), 5000):
        await session.execute(
            delete(LocationAuthorizedToken).where(
                LocationAuthorizedToken.location_id == location.id,
                LocationAuthorizedToken.token_id.in_(change.removed[start : start + 5000]),
            )
        )
    return await finish_change(session, principal, location, change, False, "authorization.tokens.removed", method)


async def listed(session: AsyncSession, location_id: str, customer_ids: list[str], token_ids: list[str]) -> set[str]:
    """Which of these customers and tokens are on the location's list (to mark search results)."""
    found: set[str] = set()
    for entry, column, ids in (
        (LocationAuthorizedCustomer, LocationAuthorizedCustomer.customer_id, customer_ids),
        (LocationAuthorizedToken, LocationAuthorizedToken.token_id, token_ids),
    ):
        if ids:
            rows = await session.scalars(select(column).where(entry.location_id == location_id, column.in_(ids)))
            found.update(rows.all())
    return found


async def _entries(
    session: AsyncSession, stmt: Any, key: Any, params: PageParams, shape: Any
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a list, ordered by the list's own key (location_id, …): a page is an index range, not a sort."""
    after = params.after()
    if after:
        stmt = stmt.where(key > after)
    rows = (await session.execute(stmt.order_by(key).limit(params.limit + 1))).all()
    items = [shape(*row) for row in rows[: params.limit]]
    return items, encode_cursor(items[-1]["id"]) if len(rows) > params.limit else None


async def customer_entries(
    session: AsyncSession, location_id: str, params: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    stmt = (
        select(Customer, LocationAuthorizedCustomer.added_at)
        .join(LocationAuthorizedCustomer, LocationAuthorizedCustomer.customer_id == Customer.id)
        .where(LocationAuthorizedCustomer.location_id == location_id)
    )
    return await _entries(session, stmt, LocationAuthorizedCustomer.customer_id, params, _customer_entry)


def _customer_entry(c: Customer, added_at: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "external_id": c.external_id,
        "organization_id": c.organization_id,
        "added_at": added_at,
    }


async def token_entries(
    session: AsyncSession, location_id: str, params: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    stmt = (
        select(Token, LocationAuthorizedToken.added_at, Customer.name)
        .join(LocationAuthorizedToken, LocationAuthorizedToken.token_id == Token.id)
        .outerjoin(Customer, Customer.id == Token.customer_id)
        .where(LocationAuthorizedToken.location_id == location_id)
    )
    return await _entries(session, stmt, LocationAuthorizedToken.token_id, params, _token_entry)


def _token_entry(t: Token, added_at: Any, customer_name: str | None) -> dict[str, Any]:
    fields = ("id", "uid", "auth_id", "visual_number", "nickname", "customer_id", "external", "status", "whitelist")
    return {**{name: getattr(t, name) for name in fields}, "customer_name": customer_name, "added_at": added_at}
