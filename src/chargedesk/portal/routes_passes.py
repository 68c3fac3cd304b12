"""Passes (charge tokens): the list with search and whitelist filter, "+ Add pass" for a customer with the
identifier checks as the user types, the pass page (details, edit), delete, and Download CSV."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from chargedesk.auth.deps import get_session
from chargedesk.customers import service as customers
from chargedesk.errors import Conflict
from chargedesk.organizations import service as organizations
from chargedesk.pagination import PageParams
from chargedesk.portal import pass_forms
from chargedesk.portal.forms import FormError, options
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import SECURITY_HEADERS, pushed, redirect, render, show, submit, target
from chargedesk.tokens import bulk, service
from chargedesk.tokens.schemas import TokenIn, TokenPatch, TokenStatus, TokenType

router = APIRouter(prefix="/passes")
PAGE_SIZE = 25
WRITE = "tokens:write"


@router.get("")
async def list_passes(
    request: Request,
    q: str | None = None,
    whitelist: str | None = None,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    filters = service.TokenFilters(q=q, whitelist={"yes": True, "no": False}.get(whitelist or ""))
    rows, next_cursor = await service.list_page(db, viewer.principal, filters, PageParams(PAGE_SIZE, cursor, None))
    names = await customers.names(db, [t.customer_id for t in rows if t.customer_id])
    context = {
        "nav": "passes",
        "items": [service.to_out(t) for t in rows],
        "customer_names": names,
        "next_cursor": next_cursor,
        "cursor": cursor,
        "params": {"q": q, "whitelist": whitelist},
    }
    return show(request, "results", "passes/_results.html", "passes/list.html", context)


@router.get("/export.csv")
async def export_passes(request: Request, viewer: Viewer = Depends(signed_in)) -> StreamingResponse:
    """The passes the viewer can see, in the import's columns (the API's GET /tokens/export.csv)."""

    async def body():  # its own session: the response outlives the request's dependencies
        async with request.app.state.db.sessionmaker() as session:
            async for chunk in bulk.export_tokens(session, viewer.principal):
                yield chunk

    headers = {**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="passes.csv"'}
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/check/{name}")
async def check_identifier(
    request: Request, name: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    """The message next to an identifier input, fetched by htmx as the user types (nothing is saved)."""
    if name not in pass_forms.CHECKED:
        return Response(status_code=404)
    value = (request.query_params.get(name) or "").strip()
    verdict = pass_forms.check(name, value)
    if verdict.error is None and value and name in ("uid", "auth_id"):
        # Taken already? The same refusal as saving would give, shown before the user gets that far.
        root_id = (await organizations.get(db, viewer.principal.organization_id)).root_id
        uid = value.upper() if name == "uid" else None
        clash = await service.find_clash(db, root_id, uid, value)
        if clash is not None:
            verdict.error = service.clash_conflict(clash, uid, value).detail
    errors = {name: verdict.error} if verdict.error else {}
    return render(request, "passes/_check.html", {"name": name, "errors": errors, "warnings": verdict.warnings})


async def _new_page(
    request: Request, db: AsyncSession, viewer: Viewer, customer_id: str, values: dict[str, Any], **extra: Any
) -> Response:
    customer = await customers.get(db, viewer.principal, customer_id)
    if "whitelist" not in values:
        values["whitelist"] = (await organizations.get(db, customer.organization_id)).default_whitelist
    warnings = {n: pass_forms.check(n, values.get(n)).warnings for n in pass_forms.CHECKED}
    context = {"nav": "passes", "customer": customer, "values": values, "errors": {}, "warnings": warnings, **extra}
    return render(request, "passes/new.html", context, status=422 if context["errors"] else 200)


@router.get("/new")
async def new_pass(
    request: Request,
    customer_id: str | None = None,
    uid: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    """`uid`: from Unknown cards' "Add as pass": the form opens on Hidden ID with the chip UID filled in."""
    viewer.need(WRITE)
    uid = (uid or "").strip().upper()
    if not customer_id:
        return redirect(
            request, "/customers?" + urlencode({"choose": "pass", "uid": uid} if uid else {"choose": "pass"})
        )
    values = {"mode": pass_forms.HIDDEN, "uid": uid} if uid else {"mode": pass_forms.VISUAL}
    return await _new_page(request, db, viewer, customer_id, values | {"customer_id": customer_id})


@router.post("")
async def create_pass(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    values = pass_forms.new_values(await request.form())
    customer = await customers.get(db, viewer.principal, values["customer_id"])
    customer_id = customer.id  # a plain str: the ORM object expires if a refused save rolls back
    id_field = "visual_number" if values["mode"] == pass_forms.VISUAL else "uid"

    async def action(body: TokenIn) -> Any:
        try:
            return await service.create(db, viewer.principal, body)
        except Conflict as exc:
            # The identifier is taken: say so next to the identifier the user typed.
            raise FormError(id_field, exc.detail) from None

    token, errors = await submit(db, TokenIn, lambda: pass_forms.new_body(values), action, pass_forms.NEW_FIELDS)
    if token is not None:
        return redirect(request, f"/customers/{customer_id}")
    errors = {k: pass_forms.hinted(k, values.get(k) or "", v) for k, v in errors.items()}
    return await _new_page(request, db, viewer, customer_id, values, errors=errors)


async def _page(
    request: Request, db: AsyncSession, viewer: Viewer, token_id: str, tab: str, status: int = 200, **extra: Any
) -> Response:
    token = service.to_out(await service.get(db, viewer.principal, token_id))
    names = await customers.names(db, [token.customer_id] if token.customer_id else [])
    context: dict[str, Any] = {
        "nav": "passes",
        "token": token,
        "customer_name": names.get(token.customer_id or ""),
        "org_name": (await organizations.get(db, token.organization_id)).name,
        "tab": tab,
        **extra,
    }
    if tab == "edit":
        context.setdefault("values", pass_forms.token_values(token))
        context.setdefault("errors", {})
        context["warnings"] = {}
        context["org_options"] = [(o.id, o.name) for o in await organizations.in_tree(db, viewer.principal.visible)]
        context["types"] = [t.value for t in TokenType]
        context["statuses"] = options(TokenStatus)
    return show(request, "pass", "passes/_pass.html", "passes/page.html", context, status)


@router.get("/{token_id}")
async def pass_details(
    request: Request, token_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await _page(request, db, viewer, token_id, "details")


@router.get("/{token_id}/edit")
async def edit_pass(
    request: Request, token_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    return await _page(request, db, viewer, token_id, "edit")


@router.post("/{token_id}")
async def save_pass(
    request: Request, token_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    await service.get(db, viewer.principal, token_id)  # another organisation's pass: 404, not a form error
    values = pass_forms.edit_values(await request.form())
    token, errors = await submit(
        db,
        TokenPatch,
        lambda: pass_forms.edit_body(values),
        lambda body: service.patch(db, viewer.principal, token_id, body),
        pass_forms.EDIT_FIELDS,
    )
    if token is None:
        errors = {k: pass_forms.hinted(k, values.get(k) or "", v) for k, v in errors.items()}
        return await _page(request, db, viewer, token_id, "edit", 422, values=values, errors=errors)
    if target(request) is None:
        return redirect(request, f"/passes/{token_id}")
    return pushed(await _page(request, db, viewer, token_id, "details", notice="Saved."), f"/passes/{token_id}")


@router.post("/{token_id}/delete")
async def delete_pass(
    request: Request, token_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    token = await service.get(db, viewer.principal, token_id)
    back = f"/customers/{token.customer_id}" if token.customer_id else "/passes"
    await service.remove(db, viewer.principal, token_id)
    await db.commit()
    return redirect(request, back)
