"""Organisations: the tree with its sub-organisations, creating one, and settings (Details, Passes)."""

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.errors import Invalid
from chargedesk.organizations import service
from chargedesk.organizations.schemas import OrganizationIn, OrganizationPatch
from chargedesk.portal import forms
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import redirect, show, submit, target

router = APIRouter(prefix="/organizations")
WRITE = "organizations:write"
FIELDS = {"name", "parent_id", "external_id", "country_code", "party_id"}


def _tree(orgs: list[Any], visible_root: str) -> dict[str | None, list[Any]]:
    """Children by parent id; the viewer's own organisation is the root (its parent is not visible)."""
    children: dict[str | None, list[Any]] = {}
    for org in orgs:
        children.setdefault(None if org.id == visible_root else org.parent_id, []).append(org)
    return children


async def _list(request: Request, db: AsyncSession, viewer: Viewer, status: int = 200, **extra: Any) -> Response:
    # Fresh, not the request's Principal: the tree must show an organisation created by this request.
    orgs = await service.in_tree(db, await service.descendant_ids(db, viewer.principal.organization_id))
    context = {
        "nav": "organizations",
        "children": _tree(orgs, viewer.principal.organization_id),
        "org_options": [(o.id, o.name) for o in orgs],
        "values": {"parent_id": viewer.principal.organization_id},
        "errors": {},
        **extra,
    }
    return show(request, "organizations", "organizations/_tree.html", "organizations/list.html", context, status)


@router.get("")
async def list_organizations(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await _list(request, db, viewer)


def _fields(form: Any) -> dict[str, Any]:
    return {name: forms.text(form, name) for name in FIELDS}


@router.post("")
async def create_organization(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    form = await request.form()
    body_fields = _fields(form)
    body_fields["parent_id"] = body_fields["parent_id"] or viewer.principal.organization_id

    async def action(body: OrganizationIn) -> Any:
        if body.parent_id not in viewer.principal.visible:
            raise Invalid("parent_id", "Choose a parent organisation from your organisation tree.")
        return await service.create(db, body.name, body.parent_id, **body.model_dump(exclude={"name", "parent_id"}))

    org, errors = await submit(db, OrganizationIn, lambda: body_fields, action, FIELDS)
    if org is None:
        return await _list(request, db, viewer, 422, values=body_fields, errors=errors)
    if target(request) is None:
        return redirect(request, f"/organizations/{org.id}")
    return await _list(request, db, viewer, notice=f"Created {org.name}.")


async def _page(
    request: Request, db: AsyncSession, viewer: Viewer, organization_id: str, tab: str, status: int = 200, **extra: Any
) -> Response:
    org = await service.get(db, organization_id, viewer.principal.visible)
    values = {name: getattr(org, name) or "" for name in FIELDS}
    context = {"nav": "organizations", "org": org, "tab": tab, "values": values, "errors": {}, **extra}
    return show(request, "organization", "organizations/_organization.html", "organizations/page.html", context, status)


@router.get("/{organization_id}")
async def organization_details(
    request: Request, organization_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await _page(request, db, viewer, organization_id, "details")


@router.get("/{organization_id}/passes")
async def organization_passes(
    request: Request, organization_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await _page(request, db, viewer, organization_id, "passes")


async def _update(
    request: Request, db: AsyncSession, viewer: Viewer, organization_id: str, tab: str, fields: dict[str, Any]
) -> Response:
    viewer.need(WRITE)
    org = await service.get(db, organization_id, viewer.principal.visible)
    org, errors = await submit(
        db,
        OrganizationPatch,
        lambda: fields,
        lambda body: service.update(db, org, body.model_dump(exclude_unset=True)),
        FIELDS,
    )
    if org is None:
        return await _page(request, db, viewer, organization_id, tab, 422, errors=errors, values=fields)
    if target(request) is None:
        return redirect(request, f"/organizations/{organization_id}" + ("/passes" if tab == "passes" else ""))
    return await _page(request, db, viewer, organization_id, tab, notice="Saved.")


@router.post("/{organization_id}")
async def save_organization(
    request: Request, organization_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    fields = _fields(await request.form())
    fields.pop("parent_id")  # moving an organisation is an API operation (PATCH parent_id), not a settings form
    fields["name"] = fields["name"] or ""
    return await _update(request, db, viewer, organization_id, "details", fields)


@router.post("/{organization_id}/passes")
async def save_passes(
    request: Request,
    organization_id: str,
    default_whitelist: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    return await _update(
        request, db, viewer, organization_id, "passes", {"default_whitelist": default_whitelist == "on"}
    )
