"""Bulk pass import: upload a CSV, see the dry run's report, then "Finalise import" imports that same file
(kept aside meanwhile by `pending`, for this session only)."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.errors import Problem
from chargedesk.locations.service import check_organization
from chargedesk.organizations.service import in_tree
from chargedesk.portal import pending
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import SECURITY_HEADERS, show
from chargedesk.tokens import bulk
from chargedesk.tokens.imports import TOKEN_COLUMNS

router = APIRouter(prefix="/passes/import")
WRITE = "tokens:write"
KIND = "pass_import"
EXAMPLE = (
    ",".join(TOKEN_COLUMNS) + "\r\n"
    "04AAAB11CD2345,,,RFID,CRM-1001,Key tag J. Jansen,true,\r\n"
    ",NL-TNM-B12345-6,NL-TNM-B12345-6,RFID,CRM-1001,Company card J. Jansen,true,2027-12-31\r\n"
    "04BBCC22DD3456,NL-TNM-000122045-U,NL-TNM-C22045-1,RFID,CRM-1002,Fleet car 12,false,\r\n"
)


async def _context(db: AsyncSession, viewer: Viewer, **extra: Any) -> dict[str, Any]:
    orgs = await in_tree(db, viewer.principal.visible)
    values = {"organization_id": viewer.principal.organization_id}
    return {"nav": "passes", "org_options": [(o.id, o.name) for o in orgs], "values": values, "errors": {}, **extra}


def _show(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    return show(request, "import", "passes/_import.html", "passes/import.html", context, status)


@router.get("")
async def import_page(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    return _show(request, await _context(db, viewer))


@router.get("/example.csv")
async def example_file(viewer: Viewer = Depends(signed_in)) -> Response:
    headers = {**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="passes-example.csv"'}
    return Response(EXAMPLE, media_type="text/csv; charset=utf-8", headers=headers)


async def _run(db: AsyncSession, viewer: Viewer, path: Path, organization_id: str, dry_run: bool) -> bulk.ImportReport:
    with path.open("rb") as stream:
        report = await bulk.import_tokens(
            db, viewer.principal, stream, organization_id=organization_id, dry_run=dry_run
        )
    if report.ok and not dry_run:
        await db.commit()
    else:
        await db.rollback()
    return report


@router.post("")
async def preview_import(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    form = await request.form()
    upload = form.get("file")
    organization_id = str(form.get("organization_id") or viewer.principal.organization_id)
    context = await _context(db, viewer)
    context["values"] = {"organization_id": organization_id}
    if not isinstance(upload, UploadFile) or not upload.filename:
        context["errors"] = {"file": "Choose the CSV file to import."}
        return _show(request, context, 422)
    try:
        organization_id = check_organization(viewer.principal, organization_id)
    except Problem as exc:
        context["errors"] = {"organization_id": exc.detail}
        return _show(request, context, 422)
    try:
        waiting = await pending.keep(request, viewer, KIND, upload, org=organization_id, name=upload.filename[:100])
    except pending.TooLarge as exc:
        context["errors"] = {"file": str(exc)}
        return _show(request, context, 413)
    report = await _run(db, viewer, waiting.path, organization_id, dry_run=True)
    if not report.ok:
        pending.drop(request, waiting, KIND)
    upload_id = waiting.upload_id
    context |= {"report": report, "upload_id": upload_id, "filename": upload.filename}
    return _show(request, context, 200 if report.ok else 422)


@router.post("/{upload_id}/finalise")
async def finalise_import(
    request: Request, upload_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    waiting = pending.find(request, viewer, KIND, upload_id)
    context = await _context(db, viewer)
    if waiting is None:
        context["alert"] = "This import is no longer waiting (finalised already, or too old): upload the file again."
        return _show(request, context, 409)
    report = await _run(db, viewer, waiting.path, waiting.data["org"], dry_run=False)
    pending.drop(request, waiting, KIND)
    context |= {"report": report, "filename": waiting.data.get("name"), "finalised": report.ok}
    return _show(request, context, 200 if report.ok else 422)
