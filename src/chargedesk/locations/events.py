"""Who must hear of a change to a location's authorization list (the OCPP gateway sends the stations their
local lists). Listeners are registered per app and called after the change is committed."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

Listener = Callable[[str, bool], Awaitable[None]]


def listen(app: FastAPI, listener: Listener) -> None:
    """Call `listener(location_id, removed)` after every committed list change; `removed` is true when an
    entry left the list (stations may have cached it as Accepted)."""
    app.state.__dict__.setdefault("list_listeners", []).append(listener)


async def list_changed(app: FastAPI, location_id: str, removed: bool) -> None:
    for listener in app.state.__dict__.get("list_listeners", []):
        await listener(location_id, removed)


async def after_commit(app: FastAPI, location_id: str, change: Any) -> None:
    """Tell the listeners about a committed `authorization.ListChange`, when it changed the list at all."""
    if change.added or change.removed or change.external_created:
        await list_changed(app, location_id, bool(change.removed))
