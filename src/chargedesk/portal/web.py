"""Rendering, redirects, form errors and error pages shared by every portal page."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from chargedesk import __version__
from chargedesk.errors import TITLES, Problem, validation_errors
from chargedesk.portal import session
from chargedesk.portal.forms import FormError

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__
# Paths that belong to the API, the OCPP gateway or the API docs; everything else is the portal.
NOT_PORTAL = ("/api/", "/ocpp", "/docs", "/redoc", "/openapi.json", "/healthz")


# Pages show an operator's data: never cached, never framed (clickjacking), scripts and forms from here only.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def is_portal(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PORTAL)


def target(request: Request) -> str | None:
    """The element an htmx request will swap (None for an ordinary page load)."""
    return request.headers.get("HX-Target") if request.headers.get("HX-Request") == "true" else None


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    viewer = getattr(request.state, "viewer", None)
    data = {"viewer": viewer, "csrf_token": session.csrf_token(request), "querystring": querystring, **(context or {})}
    response = templates.TemplateResponse(request, name, data, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return session.save(request, response)


def redirect(request: Request, url: str) -> Response:
    """After a POST: a 303 for a plain form, a client-side navigation for htmx."""
    if request.headers.get("HX-Request") == "true":
        return session.save(request, Response(status_code=204, headers={"HX-Redirect": url}))
    return session.save(request, RedirectResponse(url, status_code=303))


def pushed(response: Response, url: str) -> Response:
    """Have htmx show `url` in the address bar (after a form on /…/edit has been saved, say)."""
    response.headers["HX-Push-Url"] = url
    return response


def querystring(params: dict[str, Any], **changes: Any) -> str:
    """`?…` from `params` with `changes` applied; empty values are dropped (for filter and page links)."""
    merged = {**params, **changes}
    pairs = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return "?" + urlencode(pairs) if pairs else "?"


def form_errors(exc: ValidationError | Problem) -> dict[str, str]:
    """Errors keyed by field path (the API's `errors[].field`), '' for an error about the whole form."""
    if isinstance(exc, ValidationError):
        return {e["field"]: e["message"] for e in validation_errors(list(exc.errors()))}
    if exc.errors:
        return {e["field"]: e["message"] for e in exc.errors}
    return {"": exc.detail}


def attach(errors: dict[str, str], fields: set[str]) -> dict[str, str]:
    """Move each error to the form field it belongs to (the longest field path that prefixes it)."""
    placed: dict[str, str] = {}
    for path, message in errors.items():
        owner = max((f for f in fields if path == f or path.startswith(f + ".")), key=len, default="")
        detail = path[len(owner) + 1 :] if owner and path != owner else ""
        text = f"{detail}: {message}" if detail else message
        placed[owner] = f"{placed[owner]}; {text}" if owner in placed else text
    return placed


def validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, form_errors(exc)


def _error_page(request: Request, status: int, detail: str) -> Response:
    if target(request):
        # An htmx action was refused: show why at the top of the page and leave the rest as it is.
        response = render(request, "_alert.html", {"message": detail, "kind": "error"}, status)
        response.headers.update({"HX-Retarget": "#main", "HX-Reswap": "afterbegin"})
        return response
    return render(
        request, "error.html", {"status": status, "title": TITLES.get(status, "Error"), "detail": detail}, status
    )


def _login_redirect(request: Request) -> Response:
    url = "/login"
    if request.method == "GET" and request.url.path not in ("/", "/login"):
        url += "?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def install(app: FastAPI) -> None:
    """Mount the portal: its pages, its static files, and HTML error pages for portal paths."""
    from chargedesk.portal.routes import router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    api_problem = app.exception_handlers[Problem]
    api_http = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if not is_portal(request):
            return await api_problem(request, exc)
        return _error_page(request, exc.status, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_portal(request):
            return await api_http(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404:
            detail = "There is no page at this address."
        return _error_page(request, exc.status_code, detail)

    @app.exception_handler(session.LoginRequired)
    async def _login(request: Request, _: session.LoginRequired) -> Response:
        return _login_redirect(request)


def show(
    request: Request, region: str, partial: str, full: str, context: dict[str, Any], status: int = 200
) -> Response:
    """The region alone when htmx asks for it (HX-Target), else the whole page that contains it."""
    return render(request, partial if target(request) == region else full, context, status)


async def submit(
    db: AsyncSession,
    model: type[BaseModel],
    build: Callable[[], dict[str, Any]],
    action: Callable[[Any], Awaitable[Any]],
    fields: set[str],
) -> tuple[Any, dict[str, str]]:
    """Validate a form's body as the API would, run `action` on it and commit; (result, {}) or (None, errors)."""
    try:
        body, errors = validate(model, build())
        if body is not None:
            result = await action(body)
            await db.commit()
            return result, {}
    except FormError as exc:
        errors = {exc.field: exc.message}
    except Problem as exc:
        if exc.status == 404:
            raise
        await db.rollback()
        errors = form_errors(exc)
    return None, attach(errors, fields)
