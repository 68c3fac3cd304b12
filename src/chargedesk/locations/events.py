"""Who must hear of a change to a location's authorization list (the OCPP gateway sends the stations their
local lists). Listeners are registered per app and called after the change is committed."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

Listener = Callable[[str, bool], Awaitable[None]]


def listen(app: FastAPI, listener: Listener) -> None:
    """Call `listener(location_id, removed)` after every committed list change; `removed` is true when an
    entry left the list (stations may have cached it as Accepted)."""
    app.state.__dict__.setdefault("list_listeners", []).append(listener)


async def list_changed(app: FastAPI, location_id: str, removed: bool) -> None:
    for listener in app.state.__dict__.get("list_listeners", []):
        await listener(location_id, removed)
