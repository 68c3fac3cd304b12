"""Endpoints of a location's authorization list (private locations)."""

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk import uploads
from chargedesk.auth.deps import Principal, get_session, operator, require
from chargedesk.errors import Invalid
from chargedesk.locations import authorization, events
from chargedesk.locations import service as locations
from chargedesk.locations.authorization_import import import_list
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.schemas import Strict

router = APIRouter(prefix="/locations/{location_id}/authorization", tags=["authorization lists"])
write = require("authorization:write")


class CustomerEntry(BaseModel):
    id: str
    name: str
    external_id: str | None
    organization_id: str
    added_at: datetime


class TokenEntry(BaseModel):
    id: str
    uid: str | None
    auth_id: str
    visual_number: str | None
    nickname: str | None
    customer_id: str | None
    customer_name: str | None
    external: bool
    status: str
    whitelist: bool
    added_at: datetime


class AuthorizationList(BaseModel):
    private: bool = Field(description="True while the list has any customer or token.")
    published: bool
    customer_count: int
    token_count: int
    customers: list[CustomerEntry] = Field(description="The first page; more with customers_next_cursor.")
    tokens: list[TokenEntry] = Field(description="The first page; more with tokens_next_cursor.")
    customers_next_cursor: str | None
    tokens_next_cursor: str | None


class ListChangeOut(BaseModel):
    added: list[str] = Field(description="Ids added to the list.")
    already_present: list[str] = Field(description="Ids that were on the list already (nothing changed for them).")
    removed: list[str]
    not_found: list[str] = Field(description="Ids (or auth IDs) asked to be removed that are not on the list.")
    external_created: list[str] = Field(description="External tokens created for unknown auth IDs.")
    private: bool
    published: bool
    customer_count: int
    token_count: int


class CustomerIds(Strict):
    customer_ids: list[str] = Field(min_length=1, max_length=1000)


class TokenSelection(Strict):
    token_ids: list[str] = Field(default_factory=list, max_length=1000)
    auth_ids: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="Auth IDs (contract IDs); one the platform does not know is added as an external token.",
    )


def _out(change: authorization.ListChange) -> ListChangeOut:
    return ListChangeOut(**change.__dict__, private=change.private)


async def _committed(
    request: Request, session: AsyncSession, location_id: str, change: authorization.ListChange
) -> ListChangeOut:
    await session.commit()
    await events.after_commit(request.app, location_id, change)
    return _out(change)


@router.get("", response_model=AuthorizationList, summary="The authorization list: customers and tokens")
async def read_list(
    location_id: str,
    limit: int = Query(50, ge=1, le=1000, description="Entries of each kind on this first page."),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> AuthorizationList:
    location = await locations.get(session, principal, location_id)
    params = PageParams(limit, None, None)
    customers, customers_next = await authorization.customer_entries(session, location.id, params)
    tokens, tokens_next = await authorization.token_entries(session, location.id, params)
    customer_count, token_count = await authorization.sizes(session, location.id)
    return AuthorizationList(
        private=customer_count + token_count > 0,
        published=location.published,
        customer_count=customer_count,
        token_count=token_count,
        customers=customers,
        tokens=tokens,
        customers_next_cursor=customers_next,
        tokens_next_cursor=tokens_next,
    )


@router.get("/customers", response_model=Page[CustomerEntry], summary="Page through the customers on the list")
async def list_customers(
    location_id: str,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[CustomerEntry]:
    location = await locations.get(session, principal, location_id)
    items, cursor = await authorization.customer_entries(session, location.id, params)
    return Page(items=items, next_cursor=cursor)


@router.get("/tokens", response_model=Page[TokenEntry], summary="Page through the charge tokens on the list")
async def list_tokens(
    location_id: str,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[TokenEntry]:
    location = await locations.get(session, principal, location_id)
    items, cursor = await authorization.token_entries(session, location.id, params)
    return Page(items=items, next_cursor=cursor)


@router.post("/customers", response_model=ListChangeOut, summary="Add customers to the list")
async def add_customers(
    location_id: str,
    body: CustomerIds,
    request: Request,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> ListChangeOut:
    method = "single" if len(body.customer_ids) == 1 else "batch"
    change = await authorization.add_customers(session, principal, location_id, body.customer_ids, method)
    return await _committed(request, session, location_id, change)


@router.delete("/customers", response_model=ListChangeOut, summary="Remove selected customers, or all (?all=true)")
async def remove_customers(
    location_id: str,
    request: Request,
    body: CustomerIds | None = None,
    all: bool = Query(False, description="Remove every customer from the list."),
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> ListChangeOut:
    ids = None if all else (body.customer_ids if body else [])
    if ids == []:
        raise Invalid("customer_ids", "name the customers to remove, or pass ?all=true to remove every customer")
    change = await authorization.remove_customers(session, principal, location_id, ids, "all" if all else "batch")
    return await _committed(request, session, location_id, change)


@router.delete("/customers/{customer_id}", response_model=ListChangeOut, summary="Remove one customer")
async def remove_customer(
    location_id: str,
    customer_id: str,
    request: Request,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> ListChangeOut:
    change = await authorization.remove_customers(session, principal, location_id, [customer_id], "single")
    return await _committed(request, session, location_id, change)


@router.post("/tokens", response_model=ListChangeOut, summary="Add charge tokens (by id or by auth ID)")
async def add_tokens(
    location_id: str,
    body: TokenSelection,
    request: Request,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> ListChangeOut:
    _require_some(body)
    method = "single" if len(body.token_ids) + len(body.auth_ids) == 1 else "batch"
    change = await authorization.add_tokens(session, principal, location_id, body.token_ids, body.auth_ids, method)
    return await _committed(request, session, location_id, change)


def _require_some(body: TokenSelection | None) -> None:
    if body is None or not (body.token_ids or body.auth_ids):
        raise Invalid("token_ids", "name the tokens by token_ids or auth_ids (or pass ?all=true to remove all)")


@router.delete("/tokens", response_model=ListChangeOut, summary="Remove selected charge tokens, or all (?all=true)")
async def remove_tokens(
    location_id: str,
    request: Request,
    body: TokenSelection | None = None,
    all: bool = Query(False, description="Remove every charge token from the list."),
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> ListChangeOut:
    if all:
        change = await authorization.remove_tokens(session, principal, location_id, None, None, "all")
    else:
        _require_some(body)
        assert body is not None
        change = await authorization.remove_tokens(
            session, principal, location_id, body.token_ids, body.auth_ids, "batch"
        )
    return await _committed(request, session, location_id, change)


@router.delete("/tokens/{token_id}", response_model=ListChangeOut, summary="Remove one charge token")
async def remove_token(
    location_id: str,
    token_id: str,
    request: Request,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> ListChangeOut:
    change = await authorization.remove_tokens(session, principal, location_id, [token_id], None, "single")
    return await _committed(request, session, location_id, change)


@router.post(
    "/tokens/import",
    summary="Import charge tokens into the list from CSV (one auth_id or uid per row)",
    openapi_extra=uploads.import_body(
        {
            **uploads.DRY_RUN,
            "clear": {
                "type": "boolean",
                "default": False,
                "description": "Replace the list's charge tokens with the file's (customers stay).",
            },
        }
    ),
    responses=uploads.IMPORT_RESPONSES,
)
async def import_tokens(
    location_id: str,
    request: Request,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> JSONResponse:
    """Columns: `auth_id` or `uid` (header row required; comma or semicolon; UTF-8 with or without BOM). Auth IDs
    the platform does not know become external tokens. Any bad row: 422 with every bad row, nothing changed."""
    upload, form = await uploads.csv_upload(request)
    dry_run = uploads.flag(form.get("dry_run"), "dry_run")
    clear = uploads.flag(form.get("clear"), "clear")
    report = await import_list(session, principal, location_id, upload.file, clear=clear, dry_run=dry_run)
    if report.ok and not dry_run:
        await session.commit()
        if report.added or report.removed_by_clear:
            await events.list_changed(request.app, location_id, report.removed_by_clear > 0)
    else:
        await session.rollback()
    return uploads.report_response(report.as_dict(), report.ok)
