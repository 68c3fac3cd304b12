"""Charge tokens: cards, tags and app ids that drivers present at stations. Other packages call these functions."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.customers import service as customers
from chargedesk.db import contains_pattern, one_of, utcnow
from chargedesk.errors import Conflict, Invalid, NotFound
from chargedesk.ids import new_id
from chargedesk.locations.service import check_organization
from chargedesk.organizations import service as organizations
from chargedesk.pagination import PageParams, fetch_page
from chargedesk.tokens import identifiers
from chargedesk.tokens.models import Token
from chargedesk.tokens.schemas import TokenIn, TokenOut


def checked_identifiers(uid: str | None, auth_id: str | None, visual_number: str | None) -> identifiers.Identifiers:
    try:
        return identifiers.check_identifiers(uid, auth_id, visual_number)
    except identifiers.IdentifierError as exc:
        raise Invalid(exc.field, exc.message) from None


def describe(token: Token) -> str:
    """How a refusal names a token: its id and what a person recognises it by."""
    parts = [f"uid {token.uid}" if token.uid else None, f"auth_id {token.auth_id}"]
    if token.visual_number:
        parts.append(f"visual_number {token.visual_number}")
    return f"token {token.id} ({', '.join(p for p in parts if p)})"


async def tokens_with_keys(session: AsyncSession, root_id: str, keys: list[str]) -> list[Token]:
    """Tokens of the tree that a station would resolve from any of `keys` (uid or auth_id, upper-cased). Two
    queries, so that each uses its (root_organization_id, …) unique index: SQLite does not for an OR of the two."""
    return sorted(await _keyed(session, root_id, keys, Token), key=lambda t: t.id)


async def token_keys(session: AsyncSession, root_id: str, keys: list[str]) -> list[Any]:
    """As `tokens_with_keys`, but light rows (id, organization_id, uid, auth_key) for batch work: no ORM objects."""
    return await _keyed(session, root_id, keys, Token.id, Token.organization_id, Token.uid, Token.auth_key)


async def _keyed(session: AsyncSession, root_id: str, keys: list[str], *entities: Any) -> list[Any]:
    dialect = session.bind.dialect.name
    found: dict[str, Any] = {}
    for column in (Token.uid, Token.auth_key):
        stmt = select(*entities).where(Token.root_organization_id == root_id, one_of(column, keys, dialect))
        rows = (await session.scalars(stmt)).all() if len(entities) == 1 else (await session.execute(stmt)).all()
        for row in rows:
            found.setdefault(row.id, row)
    return list(found.values())


async def find_clash(
    session: AsyncSession, root_id: str, uid: str | None, auth_id: str, exclude_id: str | None = None
) -> Token | None:
    keys = sorted({k for k in (uid, identifiers.auth_key(auth_id)) if k})
    found = [t for t in await tokens_with_keys(session, root_id, keys) if t.id != exclude_id]
    return found[0] if found else None


def clash_conflict(token: Token, uid: str | None, auth_id: str) -> Conflict:
    value = uid if uid and uid in (token.uid, token.auth_key) else auth_id
    return Conflict(
        f"{value!r} is already used by {describe(token)} in your organization tree: a uid or auth_id identifies one "
        "token only. Edit or delete that token instead of adding another.",
        token_id=token.id,
    )


async def get(session: AsyncSession, principal: Principal, token_id: str) -> Token:
    token = await session.get(Token, token_id)
    if token is None or token.organization_id not in principal.visible:
        raise NotFound(f"No charge token with id {token_id!r}.")
    return token


async def _customer_organization(session: AsyncSession, principal: Principal, customer_id: str | None) -> str | None:
    if customer_id is None:
        return None
    try:
        return (await customers.get(session, principal, customer_id)).organization_id
    except NotFound:
        raise Invalid(
            "customer_id", f"No customer with id {customer_id!r} in your organization tree (GET /api/v1/customers)."
        ) from None


async def create(session: AsyncSession, principal: Principal, data: TokenIn) -> Token:
    ids = checked_identifiers(data.uid, data.auth_id, data.visual_number)
    customer_org = await _customer_organization(session, principal, data.customer_id)
    organization_id = check_organization(principal, data.organization_id or customer_org)
    org = await organizations.get(session, organization_id)
    fields = data.model_dump(exclude={"uid", "auth_id", "visual_number", "organization_id"})
    if fields["whitelist"] is None:
        fields["whitelist"] = org.default_whitelist
    clash = await find_clash(session, org.root_id, ids.uid, ids.auth_id)
    if clash is not None:
        raise clash_conflict(clash, ids.uid, ids.auth_id)
    token = Token(
        id=new_id("tok"),
        organization_id=organization_id,
        root_organization_id=org.root_id,
        uid=ids.uid,
        auth_id=ids.auth_id,
        auth_key=identifiers.auth_key(ids.auth_id),
        visual_number=ids.visual_number,
        **fields,
    )
    root_id = org.root_id
    session.add(token)
    try:
        await session.flush()
    except IntegrityError:
        # Another request added the same identifier between our check and our insert: the unique
        # constraints on (root_organization_id, uid) and (root_organization_id, auth_key) decided.
        await session.rollback()
        session.expunge_all()
        clash = await find_clash(session, root_id, ids.uid, ids.auth_id)
        if clash is None:
            raise
        raise clash_conflict(clash, ids.uid, ids.auth_id) from None
    return token


_IMMUTABLE = {"uid": "uid (chip UID)", "auth_id": "auth_id (contract ID)"}


async def patch(session: AsyncSession, principal: Principal, token_id: str, data: BaseModel) -> Token:
    token = await get(session, principal, token_id)
    fields: dict[str, Any] = data.model_dump(exclude_unset=True)
    for name, label in _IMMUTABLE.items():
        if name in fields:
            sent = fields.pop(name)
            current = getattr(token, name)
            same = (sent or "").strip().upper() == (current or "").upper()
            if not same:
                raise Conflict(
                    f"The {label} of a token cannot change. Delete this token (DELETE /api/v1/tokens/{token.id}) and "
                    f"add it again with the new {name}.",
                    field=name,
                )
    for name in ("type", "status", "external", "max_concurrent_transactions", "whitelist"):
        if name in fields and fields[name] is None:
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    if "visual_number" in fields:
        visual = fields["visual_number"]
        fields["visual_number"] = checked_identifiers(token.uid, token.auth_id, visual).visual_number
    if "customer_id" in fields:
        await _customer_organization(session, principal, fields["customer_id"])
    if "organization_id" in fields:
        fields["organization_id"] = check_organization(principal, fields["organization_id"])
    for name, value in fields.items():
        setattr(token, name, value)
    token.updated_at = utcnow()
    await session.flush()
    return token


async def remove(session: AsyncSession, principal: Principal, token_id: str) -> None:
    token = await get(session, principal, token_id)
    await session.execute(delete(Token).where(Token.id == token.id))


@dataclass
class TokenFilters:
    q: str | None = None
    whitelist: bool | None = None
    customer_id: str | None = None
    status: str | None = None


def filtered(principal: Principal, filters: TokenFilters) -> Any:
    stmt = select(Token).where(Token.organization_id.in_(principal.visible))
    if filters.q:
        # Identifiers are stored upper-cased, so an upper-cased pattern matches case-insensitively.
        pattern = contains_pattern(filters.q.strip()).upper()
        stmt = stmt.where(
            or_(
                Token.uid.like(pattern, escape="\\"),
                Token.auth_key.like(pattern, escape="\\"),
                Token.visual_number.like(pattern, escape="\\"),
            )
        )
    if filters.whitelist is not None:
        stmt = stmt.where(Token.whitelist.is_(filters.whitelist))
    if filters.customer_id:
        stmt = stmt.where(Token.customer_id == filters.customer_id)
    if filters.status:
        stmt = stmt.where(Token.status == filters.status)
    return stmt


async def list_page(
    session: AsyncSession, principal: Principal, filters: TokenFilters, params: PageParams
) -> tuple[list[Token], str | None]:
    stmt = filtered(principal, filters)
    if params.updated_since is not None:
        stmt = stmt.where(Token.updated_at >= params.updated_since)
    return await fetch_page(session, stmt, Token.id, params)


def to_out(token: Token) -> TokenOut:
    data = {c.key: getattr(token, c.key) for c in Token.__table__.columns}
    data["warnings"] = [{"field": w.field, "message": w.message} for w in identifiers.uid_warnings(token.uid)]
    return TokenOut.model_validate(data)


async def auth_ids(session: AsyncSession, token_ids: list[str]) -> dict[str, str]:
    """token id → auth ID, for lists that name tokens (audit trails)."""
    if not token_ids:
        return {}
    rows = await session.execute(select(Token.id, Token.auth_id).where(Token.id.in_(set(token_ids))))
    return dict(rows.all())  # type: ignore[arg-type]
