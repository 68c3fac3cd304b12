"""Customers: the people and companies that hold charge tokens. Other packages call these functions."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.customers.models import Customer
from chargedesk.customers.schemas import CustomerIn, CustomerOut
from chargedesk.db import contains_pattern, one_of, utcnow
from chargedesk.errors import Conflict, Invalid, NotFound
from chargedesk.ids import new_id
from chargedesk.locations.service import check_organization
from chargedesk.pagination import PageParams, fetch_page
from chargedesk.tokens.models import Token


def search_text(name: str, external_id: str | None) -> str:
    return " ".join(p for p in (name, external_id) if p).lower()


def new_customer(organization_id: str, name: str, external_id: str | None = None, email: str | None = None) -> Customer:
    return Customer(
        id=new_id("cus"),
        organization_id=organization_id,
        name=name,
        external_id=external_id,
        email=email,
        search_text=search_text(name, external_id),
    )


async def get(session: AsyncSession, principal: Principal, customer_id: str) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.organization_id not in principal.visible:
        raise NotFound(f"No customer with id {customer_id!r}.")
    return customer


async def create(session: AsyncSession, principal: Principal, data: CustomerIn) -> Customer:
    organization_id = check_organization(principal, data.organization_id)
    customer = new_customer(organization_id, data.name, data.external_id, data.email)
    session.add(customer)
    await session.flush()
    return customer


async def patch(session: AsyncSession, principal: Principal, customer_id: str, data: BaseModel) -> Customer:
    customer = await get(session, principal, customer_id)
    fields: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "name" in fields and fields["name"] is None:
        raise Invalid("name", "name cannot be null: give the customer's name")
    if "organization_id" in fields:
        fields["organization_id"] = check_organization(principal, fields["organization_id"])
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.search_text = search_text(customer.name, customer.external_id)
    customer.updated_at = utcnow()
    await session.flush()
    return customer


async def remove(session: AsyncSession, principal: Principal, customer_id: str, cascade: bool = False) -> int:
    """Delete a customer; with `cascade`, its tokens too (returns how many). Without, a customer with tokens stays."""
    customer = await get(session, principal, customer_id)
    count = await session.scalar(select(func.count()).where(Token.customer_id == customer.id)) or 0
    if count and not cascade:
        raise Conflict(
            f"Customer {customer_id!r} holds {count} charge token(s). Delete or move them first, "
            "or delete the customer with its tokens: DELETE /api/v1/customers/{id}?cascade=true.",
            token_count=count,
        )
    if count:
        await session.execute(delete(Token).where(Token.customer_id == customer.id))
    await session.execute(delete(Customer).where(Customer.id == customer.id))
    return count


async def list_page(
    session: AsyncSession, principal: Principal, q: str | None, params: PageParams
) -> tuple[list[Customer], str | None]:
    stmt = select(Customer).where(Customer.organization_id.in_(principal.visible))
    if q:
        # Substring match on the lower-cased name and external id (a prefix is a substring too).
        stmt = stmt.where(Customer.search_text.like(contains_pattern(q.strip()), escape="\\"))
    if params.updated_since is not None:
        stmt = stmt.where(Customer.updated_at >= params.updated_since)
    return await fetch_page(session, stmt, Customer.id, params)


async def by_external_ids(session: AsyncSession, visible: frozenset[str], external_ids: list[str]) -> dict[str, str]:
    """external_id → customer id, for the customers in `visible` organisations (the oldest when several share one)."""
    found: dict[str, str] = {}
    dialect = session.bind.dialect.name
    for start in range(0, len(external_ids), 5000):
        chunk = external_ids[start : start + 5000]
        # Filtered by organisation here rather than in SQL, so that the external_id index is the only one the
        # planner can use: the organisation index would scan every customer of the tree (a million-row import
        # looks up a batch of external ids at a time).
        rows = await session.execute(
            select(Customer.external_id, Customer.id, Customer.organization_id)
            .where(one_of(Customer.external_id, chunk, dialect))
            .order_by(Customer.id)
        )
        for external_id, customer_id, organization_id in rows.all():
            if organization_id in visible:
                found.setdefault(external_id, customer_id)
    return found


async def external_ids(session: AsyncSession, customer_ids: list[str]) -> dict[str, str | None]:
    rows = await session.execute(select(Customer.id, Customer.external_id).where(Customer.id.in_(customer_ids)))
    return dict(rows.all())  # type: ignore[arg-type]


async def names(session: AsyncSession, customer_ids: list[str]) -> dict[str, str]:
    """customer id → name, for lists that show each token's holder."""
    if not customer_ids:
        return {}
    rows = await session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(set(customer_ids))))
    return dict(rows.all())  # type: ignore[arg-type]


async def render(session: AsyncSession, customers: list[Customer]) -> list[CustomerOut]:
    ids = [c.id for c in customers]
    counts: dict[str, int] = {}
    if ids:
        rows = await session.execute(
            select(Token.customer_id, func.count()).where(Token.customer_id.in_(ids)).group_by(Token.customer_id)
        )
        counts = dict(rows.all())  # type: ignore[arg-type]
    return [
        CustomerOut.model_validate(
            {**{col.key: getattr(c, col.key) for col in Customer.__table__.columns}, "token_count": counts.get(c.id, 0)}
        )
        for c in customers
    ]


async def render_one(session: AsyncSession, customer: Customer) -> CustomerOut:
    return (await render(session, [customer]))[0]
