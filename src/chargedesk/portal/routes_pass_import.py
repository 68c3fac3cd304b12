"""Bulk pass import: upload a CSV, see the dry run's report, then "Finalise import" imports that same file.

Between the two steps the file waits in a private temporary directory under a random name derived from the
user's id and a random upload id; the upload id (and the organisation) are kept in the signed session cookie, so
only the session that uploaded a file can finalise it. Files left behind are removed after UPLOAD_MAX_AGE."""

import hashlib
import os
import secrets
import tempfile
import time
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
from chargedesk.portal import session
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import SECURITY_HEADERS, show
from chargedesk.tokens import bulk
from chargedesk.tokens.imports import TOKEN_COLUMNS

router = APIRouter(prefix="/passes/import")
WRITE = "tokens:write"
SESSION_KEY = "pass_import"
UPLOAD_MAX_AGE = 3600
CHUNK = 1024 * 1024
EXAMPLE = (
    ",".join(TOKEN_COLUMNS) + "\r\n"
    "04AAAB11CD2345,,,RFID,CRM-1001,Key tag J. Jansen,true,\r\n"
    ",NL-TNM-B12345-6,NL-TNM-B12345-6,RFID,CRM-1001,Company card J. Jansen,true,2027-12-31\r\n"
    "04BBCC22DD3456,NL-TNM-000122045-U,NL-TNM-C22045-1,RFID,CRM-1002,Fleet car 12,false,\r\n"
)


def _directory() -> Path:
    path = Path(tempfile.gettempdir()) / "chargedesk-pass-imports"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_uid != os.getuid() or path.is_symlink():
        # Someone else made it (a shared /tmp): never write operators' files where others can read them.
        raise RuntimeError(f"{path} belongs to another user: remove it")
    path.chmod(0o700)
    return path


def _fresh(path: Path) -> bool:
    try:
        return path.stat().st_mtime >= time.time() - UPLOAD_MAX_AGE
    except FileNotFoundError:
        return False


def _path(viewer: Viewer, upload_id: str) -> Path:
    # Hashed: neither the user id nor the upload id (both from the client's side of things) becomes a path.
    name = hashlib.sha256(f"{viewer.user_id}:{upload_id}".encode()).hexdigest()
    return _directory() / f"{name}.csv"


def _sweep() -> None:
    for old in _directory().glob("*.csv"):
        if not _fresh(old):
            old.unlink(missing_ok=True)


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


async def _store(upload: UploadFile, path: Path, limit: int) -> bool:
    """Copy the upload to `path` (private to this process's user); False when it is over the import limit."""
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
    if size > limit:
        path.unlink()
        return False
    return True


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
    _sweep()
    upload_id = secrets.token_urlsafe(24)
    path = _path(viewer, upload_id)
    limit = request.app.state.settings.import_max_bytes
    if not await _store(upload, path, limit):
        context["errors"] = {"file": f"The file is larger than the import limit of {limit:,} bytes: split it."}
        return _show(request, context, 413)
    report = await _run(db, viewer, path, organization_id, dry_run=True)
    if report.ok:
        session.put(request, SESSION_KEY, {"id": upload_id, "org": organization_id, "name": upload.filename})
    else:
        path.unlink(missing_ok=True)
    context |= {"report": report, "upload_id": upload_id, "filename": upload.filename}
    return _show(request, context, 200 if report.ok else 422)


@router.post("/{upload_id}/finalise")
async def finalise_import(
    request: Request, upload_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    pending = session.read(request).get(SESSION_KEY)
    context = await _context(db, viewer)
    valid = isinstance(pending, dict) and secrets.compare_digest(str(pending.get("id", "")), upload_id)
    path = _path(viewer, upload_id) if valid else None
    if path is None or not _fresh(path):
        context["alert"] = "This import is no longer waiting (finalised already, or too old): upload the file again."
        return _show(request, context, 409)
    report = await _run(db, viewer, path, pending["org"], dry_run=False)
    path.unlink(missing_ok=True)
    session.put(request, SESSION_KEY, None)
    context |= {"report": report, "filename": pending.get("name"), "finalised": report.ok}
    return _show(request, context, 200 if report.ok else 422)
