"""Customers: list with search, create, the customer page (details, edit, its passes) and delete."""

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.customers import service
from chargedesk.customers.schemas import CustomerIn, CustomerPatch
from chargedesk.errors import Conflict
from chargedesk.organizations.service import get as get_organization
from chargedesk.organizations.service import in_tree
from chargedesk.pagination import PageParams
from chargedesk.portal import forms
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import pushed, redirect, render, show, submit, target
from chargedesk.tokens import service as tokens

router = APIRouter(prefix="/customers")
PAGE_SIZE = 25
WRITE = "customers:write"
FIELDS = {"organization_id", "name", "external_id", "email"}


@router.get("")
async def list_customers(
    request: Request,
    q: str | None = None,
    choose: str | None = None,
    uid: str | None = None,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    rows, next_cursor = await service.list_page(db, viewer.principal, q, PageParams(PAGE_SIZE, cursor, None))
    context = {
        "nav": "customers",
        "items": await service.render(db, rows),
        "next_cursor": next_cursor,
        "cursor": cursor,
        # choose=pass: reached from "+ Add pass" on the passes list; the pass is added from its customer's row.
        "params": {"q": q, "choose": "pass" if choose == "pass" else None, "uid": uid if choose == "pass" else None},
        "choose": choose == "pass",
        # uid: the chip UID of an unknown card being added as a pass; "+ Add pass" carries it on.
        "uid": (uid or "").strip().upper() if choose == "pass" else "",
    }
    return show(request, "results", "customers/_results.html", "customers/list.html", context)


async def _org_options(db: AsyncSession, viewer: Viewer) -> list[tuple[str, str]]:
    return [(o.id, o.name) for o in await in_tree(db, viewer.principal.visible)]


def _fields(form: Any) -> dict[str, Any]:
    return {name: forms.text(form, name) for name in FIELDS}


@router.get("/new")
async def new_customer(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    context = {
        "nav": "customers",
        "values": {"organization_id": viewer.principal.organization_id},
        "errors": {},
        "org_options": await _org_options(db, viewer),
    }
    return render(request, "customers/new.html", context)


@router.post("")
async def create_customer(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    fields = _fields(await request.form())
    body = {k: v for k, v in fields.items() if v is not None} | {"name": fields["name"] or ""}
    customer, errors = await submit(
        db, CustomerIn, lambda: body, lambda data: service.create(db, viewer.principal, data), FIELDS
    )
    if customer is not None:
        return redirect(request, f"/customers/{customer.id}")
    context = {"nav": "customers", "values": fields, "errors": errors, "org_options": await _org_options(db, viewer)}
    return render(request, "customers/new.html", context, status=422)


async def _page(
    request: Request, db: AsyncSession, viewer: Viewer, customer_id: str, tab: str, status: int = 200, **extra: Any
) -> Response:
    customer = await service.render_one(db, await service.get(db, viewer.principal, customer_id))
    filters = tokens.TokenFilters(customer_id=customer.id)
    params = PageParams(PAGE_SIZE, request.query_params.get("cursor"), None)
    rows, next_cursor = await tokens.list_page(db, viewer.principal, filters, params)
    context: dict[str, Any] = {
        "nav": "customers",
        "customer": customer,
        "org_name": (await get_organization(db, customer.organization_id)).name,
        "passes": [tokens.to_out(t) for t in rows],
        "next_cursor": next_cursor,
        "tab": tab,
        **extra,
    }
    if tab == "edit":
        context.setdefault("values", {k: getattr(customer, k) or "" for k in FIELDS})
        context.setdefault("errors", {})
        context["org_options"] = await _org_options(db, viewer)
    return show(request, "customer", "customers/_customer.html", "customers/page.html", context, status)


@router.get("/{customer_id}")
async def customer_details(
    request: Request, customer_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await _page(request, db, viewer, customer_id, "details")


@router.get("/{customer_id}/edit")
async def edit_customer(
    request: Request, customer_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    return await _page(request, db, viewer, customer_id, "edit")


@router.post("/{customer_id}")
async def save_customer(
    request: Request, customer_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    await service.get(db, viewer.principal, customer_id)  # another organisation's customer: 404, not a form error
    fields = _fields(await request.form())
    body = fields | {"name": fields["name"] or ""}
    if not body["organization_id"]:
        body.pop("organization_id")
    customer, errors = await submit(
        db, CustomerPatch, lambda: body, lambda data: service.patch(db, viewer.principal, customer_id, data), FIELDS
    )
    if customer is None:
        return await _page(request, db, viewer, customer_id, "edit", 422, values=fields, errors=errors)
    if target(request) is None:
        return redirect(request, f"/customers/{customer_id}")
    return pushed(
        await _page(request, db, viewer, customer_id, "details", notice="Saved."), f"/customers/{customer_id}"
    )


@router.post("/{customer_id}/delete")
async def delete_customer(
    request: Request,
    customer_id: str,
    cascade: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    viewer.need(WRITE)
    try:
        await service.remove(db, viewer.principal, customer_id, cascade=cascade == "yes")
    except Conflict as exc:
        # Passes were added since the page was shown: ask again, now with the question about them.
        await db.rollback()
        alert = "This customer now holds passes: delete again to delete it together with them."
        return await _page(request, db, viewer, customer_id, "details", exc.status, alert=alert)
    await db.commit()
    return redirect(request, "/customers")
