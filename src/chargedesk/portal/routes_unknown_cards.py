"""Unknown cards: ids that stations refused because no pass matched, with "Add as pass" (the Hidden ID flow)."""

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.authorization import unknown_ids
from chargedesk.pagination import PageParams
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import show

router = APIRouter(prefix="/unknown-cards")
PAGE_SIZE = 25


def add_pass_url(uid: str) -> str:
    """The add-pass flow with the UID as its Hidden ID: the operator picks the customer, then saves."""
    return "/passes/new?" + urlencode({"uid": uid})


@router.get("")
async def list_unknown_cards(
    request: Request,
    station_id: str | None = None,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    station_id = (station_id or "").strip() or None
    rows, next_cursor = await unknown_ids.list_page(
        db, viewer.principal, station_id, PageParams(PAGE_SIZE, cursor, None)
    )
    context = {
        "nav": "unknown",
        "items": rows,
        "add_pass_url": add_pass_url,
        "params": {"station_id": station_id},
        "cursor": cursor,
        "next_cursor": next_cursor,
    }
    return show(request, "results", "unknown_cards/_results.html", "unknown_cards/list.html", context)
