from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk import uploads
from chargedesk.auth.deps import Principal, get_session, operator, require
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.tokens import bulk, service
from chargedesk.tokens.schemas import TokenIn, TokenOut, TokenPatch, TokenStatus

router = APIRouter(prefix="/tokens", tags=["charge tokens"])
write = require("tokens:write")

_IMPORT_BODY = uploads.import_body(
    {**uploads.DRY_RUN, "organization_id": {"type": "string", "description": "Defaults to the API key's organisation."}}
)


@router.post("", status_code=201, response_model=TokenOut, summary="Add a charge token")
async def create_token(
    body: TokenIn, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> TokenOut:
    token = await service.create(session, principal, body)
    await session.commit()
    return service.to_out(token)


@router.get("", response_model=Page[TokenOut], summary="List and search charge tokens")
async def list_tokens(
    q: str | None = Query(None, description="Matches uid, auth_id or visual_number: case-insensitive, any part."),
    whitelist: bool | None = Query(None, description="Only whitelisted (true) or only other (false) tokens."),
    customer_id: str | None = Query(None),
    status: TokenStatus | None = Query(None),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[TokenOut]:
    filters = service.TokenFilters(q, whitelist, customer_id, status)
    rows, cursor = await service.list_page(session, principal, filters, params)
    return Page(items=[service.to_out(t) for t in rows], next_cursor=cursor)


@router.post(
    "/import",
    summary="Import charge tokens from CSV",
    openapi_extra=_IMPORT_BODY,
    responses=uploads.IMPORT_RESPONSES,
)
async def import_tokens(
    request: Request, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> JSONResponse:
    """Columns: uid, auth_id, visual_number, type, customer_external_id, nickname, whitelist, valid_until
    (header row required; comma or semicolon; UTF-8 with or without BOM). Tokens are matched by uid (else auth_id):
    new ones are added, known ones updated, identical ones counted as already present. Customers are matched by
    customer_external_id and created when missing. Any bad row: 422 with every bad row listed, nothing changed."""
    upload, form = await uploads.csv_upload(request)
    dry_run = uploads.flag(form.get("dry_run"), "dry_run")
    organization_id = form.get("organization_id")
    report = await bulk.import_tokens(
        session,
        principal,
        upload.file,
        organization_id=str(organization_id) if organization_id else None,
        dry_run=dry_run,
    )
    if report.ok and not dry_run:
        await session.commit()
    else:
        await session.rollback()
    return uploads.report_response(report.as_dict(), report.ok)


@router.get(
    "/export.csv",
    summary="Export charge tokens as CSV (the import's columns)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_tokens(request: Request, principal: Principal = Depends(operator)) -> StreamingResponse:
    async def body():  # its own session: the response outlives the request's dependencies
        async with request.app.state.db.sessionmaker() as session:
            async for chunk in bulk.export_tokens(session, principal):
                yield chunk

    headers = {"Content-Disposition": 'attachment; filename="tokens.csv"'}
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{token_id}", response_model=TokenOut, summary="Read a charge token")
async def read_token(
    token_id: str, principal: Principal = Depends(operator), session: AsyncSession = Depends(get_session)
) -> TokenOut:
    return service.to_out(await service.get(session, principal, token_id))


@router.patch("/{token_id}", response_model=TokenOut, summary="Change a charge token (not its uid or auth_id)")
async def patch_token(
    token_id: str,
    body: TokenPatch,  # type: ignore[valid-type]
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> TokenOut:
    token = await service.patch(session, principal, token_id, body)
    await session.commit()
    return service.to_out(token)


@router.delete("/{token_id}", status_code=204, summary="Delete a charge token")
async def delete_token(
    token_id: str, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> Response:
    await service.remove(session, principal, token_id)
    await session.commit()
    return Response(status_code=204)
