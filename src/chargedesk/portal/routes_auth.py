"""Sign in, sign out and the dashboard."""

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.locations import service as locations
from chargedesk.portal import charts, session, users
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import redirect, render
from chargedesk.stations import service as stations
from chargedesk.transactions import service as transactions

router = APIRouter()


def _safe_next(url: str | None) -> str:
    # Only paths on this site: "//host" and "/\host" would send the user elsewhere after signing in.
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return "/"
    return url


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "values": {}, "errors": {}})


@router.post("/login")
async def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    db: AsyncSession = Depends(get_session),
) -> Response:
    user = await users.authenticate(db, email, password)
    if user is None:
        errors = {"": "Wrong email or password."}
        context = {"next": _safe_next(next), "values": {"email": email}, "errors": errors}
        return render(request, "login.html", context, status=401)
    await db.commit()
    session.start(request, user)  # a new session and CSRF token: nothing from before sign-in carries over
    return redirect(request, _safe_next(next))


@router.post("/logout")
async def logout(request: Request) -> Response:
    return session.end(redirect(request, "/login"))


@router.get("/")
async def dashboard(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    principal = viewer.principal
    counts = {
        "locations": await locations.count(db, principal, locations.LocationFilters()),
        "private": await locations.count(db, principal, locations.LocationFilters(private=True)),
        "unpublished": await locations.count(db, principal, locations.LocationFilters(published=False)),
        "stations": await stations.count(db, principal, stations.StationFilters()),
        "online": await stations.count(db, principal, stations.StationFilters(online=True)),
        "organizations": len(principal.visible),
        "open_sessions": await transactions.count(db, principal, transactions.TransactionFilters(status="active")),
    }
    start, days = charts.window()
    totals = await transactions.per_day(db, principal, start)
    sessions = charts.bars("Sessions per day", "sessions", {d: n for d, (n, _) in totals.items()}, days)
    energy = charts.bars("Energy per day", "kWh", {d: round(wh / 1000, 1) for d, (_, wh) in totals.items()}, days)
    context = {"counts": counts, "nav": "dashboard", "charts": [sessions, energy]}
    return render(request, "dashboard.html", context)
