"""CSV uploads of the import endpoints: multipart form reading, the size limit, flags, and the report answer."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData, UploadFile

from chargedesk.errors import PROBLEM, Invalid, Problem


def import_body(fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """OpenAPI for a multipart import: the file plus `fields`."""
    properties = {"file": {"type": "string", "format": "binary", "description": "The CSV file (UTF-8)."}, **fields}
    schema = {"type": "object", "required": ["file"], "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


DRY_RUN = {"dry_run": {"type": "boolean", "default": False, "description": "Check only; change nothing."}}
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The import report"},
    413: {"description": "The file is over the upload limit"},
    422: {"description": "The report, with every bad row"},
}


def too_large(limit: int) -> Problem:
    return Problem(
        f"The file is larger than the import limit of {limit:,} bytes: split it into smaller files "
        "(or raise CHARGEDESK_IMPORT_MAX_BYTES).",
        status=413,
        limit_bytes=limit,
    )


def flag(value: object, name: str) -> bool:
    text = str(value or "false").strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise Invalid(name, f"{name} must be true or false")


async def csv_upload(request: Request) -> tuple[UploadFile, FormData]:
    """The uploaded `file` (rewound) and the form, refusing files over CHARGEDESK_IMPORT_MAX_BYTES with a 413."""
    limit = request.app.state.settings.import_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise too_large(limit)  # refused before reading the upload
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("file", "send the CSV as the multipart form field 'file'")
    if upload.size is not None and upload.size > limit:
        raise too_large(limit)
    await upload.seek(0)
    return upload, form


def report_response(report: dict[str, Any], ok: bool) -> JSONResponse:
    """200 with the report, or 422 problem+json carrying the report when any row is bad."""
    if ok:
        return JSONResponse(report)
    body = {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": f"{len(report['errors'])} problem(s) in the file; nothing was imported. Fix the listed lines.",
        **report,
    }
    return JSONResponse(body, status_code=422, media_type=PROBLEM)
