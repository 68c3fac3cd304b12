"""Uploads waiting between an import's preview and its "Finalise import".

The file is copied into a private temporary directory (mode 0700, this process's user only) under a name hashed
from the user's id, the import's kind and a random upload id. The upload id and what the import needs later are
kept in the signed session cookie, so only the session that uploaded a file can finalise it. A file is deleted
when it is finalised or cancelled, and any file older than MAX_AGE at the next upload."""

import hashlib
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from chargedesk.portal import session
from chargedesk.portal.session import Viewer

MAX_AGE = 3600
CHUNK = 1024 * 1024


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than the import limit of {limit:,} bytes: split it into smaller files.")


@dataclass
class Pending:
    upload_id: str
    path: Path
    data: dict[str, Any]


def _directory() -> Path:
    path = Path(tempfile.gettempdir()) / f"chargedesk-portal-uploads-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.is_symlink() or path.stat().st_uid != os.getuid():
        # Someone else made it (a shared /tmp): never put operators' files where others can read them.
        raise RuntimeError(f"{path} belongs to another user: remove it")
    path.chmod(0o700)
    return path


def _path(viewer: Viewer, kind: str, upload_id: str) -> Path:
    # Hashed: nothing that comes from the browser becomes part of a path.
    name = hashlib.sha256(f"{viewer.user_id}:{kind}:{upload_id}".encode()).hexdigest()
    return _directory() / f"{name}.csv"


def _fresh(path: Path) -> bool:
    try:
        return path.stat().st_mtime >= time.time() - MAX_AGE
    except FileNotFoundError:
        return False


def _sweep() -> None:
    for old in _directory().glob("*.csv"):
        if not _fresh(old):
            old.unlink(missing_ok=True)


async def keep(request: Request, viewer: Viewer, kind: str, upload: UploadFile, **data: Any) -> Pending:
    """Copy `upload` aside and remember it, with `data`, in the session (one waiting file per kind; keep `data`
    small: it travels in the cookie). TooLarge over the import limit."""
    _sweep()
    limit = request.app.state.settings.import_max_bytes
    upload_id = secrets.token_urlsafe(24)
    path = _path(viewer, kind, upload_id)
    size = 0
    await upload.seek(0)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
    if size > limit:
        path.unlink(missing_ok=True)
        raise TooLarge(limit)
    previous = session.read(request).get(kind)
    if isinstance(previous, dict):
        _path(viewer, kind, str(previous.get("id", ""))).unlink(missing_ok=True)
    session.put(request, kind, {"id": upload_id, **data})
    return Pending(upload_id, path, data)


def find(request: Request, viewer: Viewer, kind: str, upload_id: str) -> Pending | None:
    """The waiting upload of this session with this id, or None (never uploaded here, finalised, or expired)."""
    stored = session.read(request).get(kind)
    if not isinstance(stored, dict) or not upload_id:
        return None
    if not secrets.compare_digest(str(stored.get("id", "")), upload_id):
        return None
    path = _path(viewer, kind, upload_id)
    if not _fresh(path):
        path.unlink(missing_ok=True)
        return None
    return Pending(upload_id, path, {k: v for k, v in stored.items() if k != "id"})


def drop(request: Request, pending: Pending | None, kind: str) -> None:
    """Delete the waiting file and forget it."""
    if pending is not None:
        pending.path.unlink(missing_ok=True)
    session.put(request, kind, None)
