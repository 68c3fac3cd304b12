from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator, require
from chargedesk.customers import service
from chargedesk.customers.schemas import CustomerIn, CustomerOut, CustomerPatch
from chargedesk.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/customers", tags=["customers"])
write = require("customers:write")


@router.post("", status_code=201, response_model=CustomerOut, summary="Create a customer")
async def create_customer(
    body: CustomerIn, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> CustomerOut:
    customer = await service.create(session, principal, body)
    await session.commit()
    return await service.render_one(session, customer)


@router.get("", response_model=Page[CustomerOut], summary="List and search customers")
async def list_customers(
    q: str | None = Query(None, description="Matches name or external id: case-insensitive, any part of them."),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[CustomerOut]:
    rows, cursor = await service.list_page(session, principal, q, params)
    return Page(items=await service.render(session, rows), next_cursor=cursor)


@router.get("/{customer_id}", response_model=CustomerOut, summary="Read a customer")
async def read_customer(
    customer_id: str, principal: Principal = Depends(operator), session: AsyncSession = Depends(get_session)
) -> CustomerOut:
    return await service.render_one(session, await service.get(session, principal, customer_id))


@router.patch("/{customer_id}", response_model=CustomerOut, summary="Change some fields of a customer")
async def patch_customer(
    customer_id: str,
    body: CustomerPatch,  # type: ignore[valid-type]
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> CustomerOut:
    customer = await service.patch(session, principal, customer_id, body)
    await session.commit()
    return await service.render_one(session, customer)


@router.delete("/{customer_id}", status_code=204, summary="Delete a customer (with its tokens: ?cascade=true)")
async def delete_customer(
    customer_id: str,
    cascade: bool = Query(False, description="Also delete the customer's charge tokens."),
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> Response:
    await service.remove(session, principal, customer_id, cascade)
    await session.commit()
    return Response(status_code=204)
