"""Import charge tokens into a location's list: upload a CSV (optionally clearing the list first), see the dry
run's report, then "Finalise import" runs the real import of the same file (kept aside by `pending`)."""

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk import uploads
from chargedesk.auth.deps import get_session
from chargedesk.errors import Problem
from chargedesk.locations import events
from chargedesk.locations import service as locations
from chargedesk.locations.authorization_import import ListImportReport, import_list
from chargedesk.portal import pending
from chargedesk.portal.routes_authorization import WRITE, authorization_tab
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import SECURITY_HEADERS, pushed, redirect, target

router = APIRouter(prefix="/locations/{location_id}/authorization/tokens/import")
KIND = "location_token_import"
EXAMPLE = "auth_id,uid\r\nNL-TNM-000122045-U,\r\nDE-8EO-C12345678,\r\n,04AAAB11CD2345\r\n"


async def _run(
    db: AsyncSession, viewer: Viewer, location_id: str, path: Path, clear: bool, dry_run: bool
) -> ListImportReport:
    with path.open("rb") as stream:
        report = await import_list(db, viewer.principal, location_id, stream, clear=clear, dry_run=dry_run)
    if report.ok and not dry_run:
        await db.commit()
    else:
        await db.rollback()
    return report


@router.get("")
async def import_form(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    return await authorization_tab(request, db, viewer, location_id, "tokens", importing=True)


@router.get("/example.csv")
async def example_file(location_id: str, viewer: Viewer = Depends(signed_in)) -> Response:
    headers = {**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="token-importer-example.csv"'}
    return Response(EXAMPLE, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("")
async def preview(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    """Keep the file aside and show what importing it would do (nothing is changed yet)."""
    viewer.need(WRITE)
    await locations.get(db, viewer.principal, location_id)
    try:
        upload, form = await uploads.csv_upload(request)  # refuses a declared size over the limit before reading
    except Problem as exc:
        message = exc.detail if exc.status == 413 else "Choose the CSV file to import."
        errors = {"file": message}
        return await authorization_tab(
            request, db, viewer, location_id, "tokens", exc.status, importing=True, import_errors=errors
        )
    clear = form.get("clear") == "on"
    tab = {"importing": True, "clear": clear}
    if not upload.filename:
        errors = {"file": "Choose the CSV file to import."}
        return await authorization_tab(request, db, viewer, location_id, "tokens", 422, import_errors=errors, **tab)
    try:
        waiting = await pending.keep(
            request, viewer, KIND, upload, location=location_id, clear=clear, name=upload.filename[:100]
        )
    except pending.TooLarge as exc:
        return await authorization_tab(
            request, db, viewer, location_id, "tokens", 413, import_errors={"file": str(exc)}, **tab
        )
    report = await _run(db, viewer, location_id, waiting.path, clear, dry_run=True)
    if not report.ok:
        pending.drop(request, waiting, KIND)
    context = {"report": report, "upload_id": waiting.upload_id if report.ok else None, "filename": upload.filename}
    return await authorization_tab(
        request, db, viewer, location_id, "tokens", 200 if report.ok else 422, **tab, **context
    )


async def _found(
    request: Request, db: AsyncSession, viewer: Viewer, location_id: str, upload_id: str
) -> pending.Pending | None:
    """This session's waiting upload for this location (after the checks every step makes), or None."""
    viewer.need(WRITE)
    await locations.get(db, viewer.principal, location_id)
    waiting = pending.find(request, viewer, KIND, upload_id)
    if waiting is None or waiting.data.get("location") != location_id:
        return None
    return waiting


@router.post("/{upload_id}/finalise")
async def finalise(
    request: Request,
    location_id: str,
    upload_id: str,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    waiting = await _found(request, db, viewer, location_id, upload_id)
    if waiting is None:
        message = (
            "This import is no longer waiting (finalised already, cancelled or over an hour old): "
            "upload the file again."
        )
        return await authorization_tab(request, db, viewer, location_id, "tokens", 409, importing=True, alert=message)
    clear = bool(waiting.data.get("clear"))
    report = await _run(db, viewer, location_id, waiting.path, clear, dry_run=False)
    pending.drop(request, waiting, KIND)
    if not report.ok:
        # The list changed between the preview and now (a token was deleted, say): show the new findings.
        context = {"report": report, "filename": waiting.data.get("name"), "clear": clear}
        return await authorization_tab(request, db, viewer, location_id, "tokens", 422, importing=True, **context)
    if report.added or report.removed_by_clear:
        await events.list_changed(request.app, location_id, report.removed_by_clear > 0)
    url = f"/locations/{location_id}/authorization/tokens"
    if target(request) is None:
        return redirect(request, url)
    message = (
        f"Imported {waiting.data.get('name')}: {report.added} added, {report.already_present} already on the list, "
        f"{report.external} new external token{'' if report.external == 1 else 's'}"
        + (f", {report.removed_by_clear} removed by clearing the list." if clear else ".")
    )
    return pushed(await authorization_tab(request, db, viewer, location_id, "tokens", notice=message), url)


@router.post("/{upload_id}/cancel")
async def cancel(
    request: Request,
    location_id: str,
    upload_id: str,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    waiting = await _found(request, db, viewer, location_id, upload_id)
    if waiting is not None:
        pending.drop(request, waiting, KIND)
    url = f"/locations/{location_id}/authorization/tokens"
    if target(request) is None:
        return redirect(request, url)
    return pushed(await authorization_tab(request, db, viewer, location_id, "tokens", notice="Import cancelled."), url)
