from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator, require
from chargedesk.errors import Forbidden, Invalid
from chargedesk.organizations import service
from chargedesk.organizations.models import Organization
from chargedesk.organizations.schemas import OrganizationIn, OrganizationOut, OrganizationPatch
from chargedesk.pagination import Page, PageParams, fetch_page, page_params

router = APIRouter(prefix="/organizations", tags=["organizations"])
write = require("organizations:write")


@router.post("", status_code=201, response_model=OrganizationOut, summary="Create a sub-organisation")
async def create_organization(
    body: OrganizationIn, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> Organization:
    parent_id = body.parent_id or principal.organization_id
    if parent_id not in principal.visible:
        raise Invalid("parent_id", f"No organization with id {parent_id!r} in your organization tree.")
    fields = body.model_dump(exclude={"name", "parent_id"})
    org = await service.create(session, body.name, parent_id, **fields)
    await session.commit()
    return org


@router.get("", response_model=Page[OrganizationOut], summary="List your organisation and its sub-organisations")
async def list_organizations(
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[OrganizationOut]:
    stmt = select(Organization).where(Organization.id.in_(principal.visible))
    if params.updated_since is not None:
        stmt = stmt.where(Organization.updated_at >= params.updated_since)
    rows, cursor = await fetch_page(session, stmt, Organization.id, params)
    return Page(items=[OrganizationOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{organization_id}", response_model=OrganizationOut, summary="Read an organisation")
async def read_organization(
    organization_id: str,
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Organization:
    return await service.get(session, organization_id, principal.visible)


@router.patch("/{organization_id}", response_model=OrganizationOut, summary="Change an organisation")
async def patch_organization(
    organization_id: str,
    body: OrganizationPatch,  # type: ignore[valid-type]
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> Organization:
    org = await service.get(session, organization_id, principal.visible)
    fields = body.model_dump(exclude_unset=True)
    if "parent_id" in fields:
        if org.id == principal.organization_id:
            raise Forbidden("A key cannot move its own organization; use a key of an organization above it.")
        if fields["parent_id"] is None or fields["parent_id"] not in principal.visible:
            raise Invalid("parent_id", "The new parent must be in your organization tree.")
    org = await service.update(session, org, fields)
    await session.commit()
    return org
