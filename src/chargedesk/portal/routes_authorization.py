"""A location's Authorization tab (the customers and charge tokens that make it private) and its Audit tab.

Every change goes through locations.authorization, the same service calls as the API, is committed, and then
announced to the stations with events.after_commit, exactly as the API does."""

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.audit import service as audit
from chargedesk.auth import keys
from chargedesk.auth.deps import get_session
from chargedesk.customers import service as customers
from chargedesk.errors import Problem
from chargedesk.locations import authorization, events
from chargedesk.locations import service as locations
from chargedesk.pagination import PageParams
from chargedesk.portal import users
from chargedesk.portal.routes_locations import location_page
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import form_errors, pushed, redirect, render, target
from chargedesk.tokens import service as tokens

router = APIRouter(prefix="/locations/{location_id}")
WRITE = "authorization:write"
PAGE_SIZE = 25
SEARCH_SIZE = 10
# Where the arrow next to Remove leads: the customer's and the charge token's own pages.
CUSTOMER_PAGE = "/customers/{id}"
TOKEN_PAGE = "/passes/{id}"
SUBTABS = ("customers", "tokens")


async def search_results(db: AsyncSession, viewer: Viewer, location_id: str, sub: str, q: str) -> dict[str, Any]:
    """The live search under "Add customers" / "Add charge token": matches, and which are on the list already."""
    params = PageParams(SEARCH_SIZE, None, None)
    if sub == "customers":
        rows, more = await customers.list_page(db, viewer.principal, q.strip() or None, params)
        on_list = await authorization.listed(db, location_id, [c.id for c in rows], [])
        return {"results": rows, "more": more is not None, "on_list": on_list, "exact": True}
    rows, more = await tokens.list_page(db, viewer.principal, tokens.TokenFilters(q=q.strip() or None), params)
    on_list = await authorization.listed(db, location_id, [], [t.id for t in rows])
    key = q.strip().upper()
    exact = not key or any(key in (t.auth_key, t.uid) for t in rows)
    holders = await customers.names(db, [t.customer_id for t in rows if t.customer_id])
    return {"results": rows, "more": more is not None, "on_list": on_list, "exact": exact, "holders": holders}


async def authorization_tab(
    request: Request,
    db: AsyncSession,
    viewer: Viewer,
    location_id: str,
    sub: str,
    status: int = 200,
    *,
    adding: bool = False,
    q: str = "",
    **extra: Any,
) -> Response:
    """The location page on its Authorization tab, `sub` (customers or tokens) open."""
    location = await locations.get(db, viewer.principal, location_id)
    cursor = request.query_params.get("cursor") if request.method == "GET" else None
    params = PageParams(PAGE_SIZE, cursor, None)
    if sub == "customers":
        entries, next_cursor = await authorization.customer_entries(db, location.id, params)
    else:
        entries, next_cursor = await authorization.token_entries(db, location.id, params)
    customer_count, token_count = await authorization.sizes(db, location.id)
    context: dict[str, Any] = {
        "sub": sub,
        "entries": entries,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "customer_count": customer_count,
        "token_count": token_count,
        "adding": adding and viewer.can(WRITE),
        "q": q,
        "customer_page": CUSTOMER_PAGE,
        "token_page": TOKEN_PAGE,
        **extra,
    }
    if context["adding"]:
        context |= await search_results(db, viewer, location.id, sub, q)
    return await location_page(request, db, viewer, location_id, "authorization", status, **context)


@router.get("/authorization")
@router.get("/authorization/{sub}")
async def show_authorization(
    request: Request,
    location_id: str,
    sub: str = "customers",
    add: str | None = None,
    q: str = "",
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    if sub not in SUBTABS:
        raise Problem("There is no page at this address.", status=404)
    return await authorization_tab(request, db, viewer, location_id, sub, adding=bool(add), q=q)


@router.get("/authorization/{sub}/search")
async def search(
    request: Request,
    location_id: str,
    sub: str,
    q: str = "",
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    """Live search results (htmx swaps them under the search box); the whole tab without htmx."""
    if sub not in SUBTABS:
        raise Problem("There is no page at this address.", status=404)
    viewer.need(WRITE)
    location = await locations.get(db, viewer.principal, location_id)
    if target(request) != "auth-search":
        return await authorization_tab(request, db, viewer, location_id, sub, adding=True, q=q)
    context = {"location": location, "sub": sub, "q": q, "token_page": TOKEN_PAGE}
    context |= await search_results(db, viewer, location.id, sub, q)
    return render(request, "locations/_auth_search.html", context)


def _summary(change: authorization.ListChange, verb: str, what: str) -> str:
    parts = [f"{verb} {what}."]
    if change.already_present:
        parts.append(f"{len(change.already_present)} already on the list.")
    if change.not_found:
        parts.append(f"{len(change.not_found)} not on the list.")
    if change.private and not change.published and verb == "Added":
        parts.append("The location is private and unpublished: only the list below can charge here.")
    if not change.private:
        parts.append(
            "The list is empty: the location is public. Publish it (arrow next to Edit) for drivers to see it."
        )
    return " ".join(parts)


async def _changed(
    request: Request,
    db: AsyncSession,
    viewer: Viewer,
    location_id: str,
    sub: str,
    change: authorization.ListChange,
    message: str,
    **extra: Any,
) -> Response:
    await db.commit()
    await events.after_commit(request.app, location_id, change)
    url = f"/locations/{location_id}/authorization/{sub}"
    if target(request) is None:
        return redirect(request, url)
    return pushed(await authorization_tab(request, db, viewer, location_id, sub, notice=message, **extra), url)


async def _refused(
    request: Request, db: AsyncSession, viewer: Viewer, location_id: str, sub: str, exc: Problem, **extra: Any
) -> Response:
    if exc.status == 404:
        raise exc
    await db.rollback()
    errors = form_errors(exc)
    message = "; ".join(errors.values()) if errors else exc.detail
    return await authorization_tab(request, db, viewer, location_id, sub, exc.status, search_error=message, **extra)


@router.post("/authorization/customers")
async def add_customer(
    request: Request,
    location_id: str,
    customer_id: str = Form(""),
    q: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    viewer.need(WRITE)
    try:
        change = await authorization.add_customers(db, viewer.principal, location_id, [customer_id], "single")
    except Problem as exc:
        return await _refused(request, db, viewer, location_id, "customers", exc, adding=True, q=q)
    name = (await customers.names(db, [customer_id])).get(customer_id, customer_id)
    return await _changed(
        request, db, viewer, location_id, "customers", change, _summary(change, "Added", name), adding=True, q=q
    )


@router.post("/authorization/tokens")
async def add_token(
    request: Request,
    location_id: str,
    token_id: str = Form(""),
    auth_id: str = Form(""),
    q: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    """Add a token found by the search (token_id), or an auth ID: an unknown one becomes an external token."""
    viewer.need(WRITE)
    token_ids, auth_ids = ([token_id], []) if token_id else ([], [auth_id])
    try:
        change = await authorization.add_tokens(db, viewer.principal, location_id, token_ids, auth_ids, "single")
    except Problem as exc:
        return await _refused(request, db, viewer, location_id, "tokens", exc, adding=True, q=q or auth_id)
    added = change.added or change.already_present
    label = (await tokens.auth_ids(db, added)).get(added[0], auth_id) if added else auth_id
    what = f"external token {label}" if change.external_created else f"charge token {label}"
    return await _changed(
        request, db, viewer, location_id, "tokens", change, _summary(change, "Added", what), adding=True, q=q
    )


async def _remove(
    request: Request, db: AsyncSession, viewer: Viewer, location_id: str, sub: str, ids: list[str] | None, method: str
) -> Response:
    viewer.need(WRITE)
    if ids == []:
        what = "customers" if sub == "customers" else "charge tokens"
        return await authorization_tab(
            request, db, viewer, location_id, sub, 422, alert=f"Select the {what} to remove first (tick their boxes)."
        )
    if sub == "customers":
        change = await authorization.remove_customers(db, viewer.principal, location_id, ids, method)
    else:
        change = await authorization.remove_tokens(db, viewer.principal, location_id, ids, None, method)
    noun = "customer" if sub == "customers" else "charge token"
    what = f"{len(change.removed)} {noun}{'' if len(change.removed) == 1 else 's'}"
    return await _changed(request, db, viewer, location_id, sub, change, _summary(change, "Removed", what))


def _selected(form: Any, name: str) -> list[str]:
    return [str(v) for v in form.getlist(name) if str(v).strip()]


@router.post("/authorization/customers/remove")
async def remove_selected_customers(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    ids = _selected(await request.form(), "customer_ids")
    return await _remove(request, db, viewer, location_id, "customers", ids, "batch")


@router.post("/authorization/tokens/remove")
async def remove_selected_tokens(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    ids = _selected(await request.form(), "token_ids")
    return await _remove(request, db, viewer, location_id, "tokens", ids, "batch")


@router.post("/authorization/{sub}/remove-all")
async def remove_all(
    request: Request,
    location_id: str,
    sub: str,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    if sub not in SUBTABS:
        raise Problem("There is no page at this address.", status=404)
    return await _remove(request, db, viewer, location_id, sub, None, "all")


@router.post("/authorization/{sub}/{entry_id}/remove")
async def remove_one(
    request: Request,
    location_id: str,
    sub: str,
    entry_id: str,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    if sub not in SUBTABS:
        raise Problem("There is no page at this address.", status=404)
    return await _remove(request, db, viewer, location_id, sub, [entry_id], "single")


async def _describe(db: AsyncSession, viewer: Viewer, events_: list[Any]) -> dict[str, dict[str, str]]:
    """Names for the ids an audit page mentions: actors, customers and tokens."""
    actors = [e.actor.partition(":") for e in events_]
    customer_ids: list[str] = []
    token_ids: list[str] = []
    for event in events_:
        ids = [i for name in ("added", "removed", "external_created") for i in _ids(event.details.get(name))]
        (customer_ids if ".customers." in event.action else token_ids).extend(ids)
    visible = viewer.principal.visible
    people = await users.emails(db, [i for kind, _, i in actors if kind == "user"], visible)
    people |= await keys.labels(db, [i for kind, _, i in actors if kind == "key"], visible)
    return {
        "actors": people,
        "customers": await customers.names(db, customer_ids),
        "tokens": await tokens.auth_ids(db, token_ids),
    }


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


@router.get("/audit")
async def audit_tab(
    request: Request,
    location_id: str,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    location = await locations.get(db, viewer.principal, location_id)
    params = PageParams(PAGE_SIZE, cursor, None)
    rows, next_cursor = await audit.list_page(
        db, viewer.principal, params, f"location:{location.id}", newest_first=True
    )
    context = {"events": rows, "cursor": cursor, "next_cursor": next_cursor, "names": await _describe(db, viewer, rows)}
    return await location_page(request, db, viewer, location_id, "audit", **context)
