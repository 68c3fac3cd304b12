"""Sign-in state: a signed, HttpOnly, SameSite=Lax cookie holding the user id and the session's CSRF token.

The cookie is signed with settings.secret_key (itsdangerous) and expires after SESSION_MAX_AGE. Every POST must
carry the session's CSRF token, as the form field `csrf_token` or (htmx) the `X-CSRF-Token` header.
"""

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import Principal, get_session
from chargedesk.errors import Forbidden
from chargedesk.organizations.service import descendant_ids
from chargedesk.portal import users
from chargedesk.portal.models import PortalUser

COOKIE = "chargedesk_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """Raised by `signed_in` when no valid session is present; the portal answers with the login page."""


class CsrfRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__("The form's security token is missing or out of date: reload the page and try again.")


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="chargedesk.portal.session")


def read(request: Request) -> dict[str, Any]:
    """The session's content (cached on the request), or {} when the cookie is missing, forged or expired."""
    if "portal_session" not in request.scope:
        raw = request.cookies.get(COOKIE)
        data: dict[str, Any] = {}
        if raw:
            try:
                loaded = _serializer(request).loads(raw, max_age=SESSION_MAX_AGE)
                data = loaded if isinstance(loaded, dict) else {}
            except BadSignature:
                data = {}
        request.scope["portal_session"] = data
    return request.scope["portal_session"]


def start(request: Request, user: PortalUser | None = None) -> dict[str, Any]:
    """A new session (anonymous, or for `user`) with a fresh CSRF token; `save` sends it."""
    data: dict[str, Any] = {"csrf": secrets.token_urlsafe(32)}
    if user is not None:
        data["uid"] = user.id
        data["fp"] = users.fingerprint(user)
    request.scope["portal_session"] = data
    request.scope["portal_session_dirty"] = True
    return data


def put(request: Request, key: str, value: Any) -> None:
    """Keep `value` in this session (None removes it); `save` sends the updated cookie."""
    data = read(request)
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    request.scope["portal_session_dirty"] = True


def csrf_token(request: Request) -> str:
    data = read(request)
    if "csrf" not in data:
        data = start(request)
    return data["csrf"]


def save(request: Request, response: Response) -> Response:
    """Send the session cookie if the session was started during this request."""
    if request.scope.get("portal_session_dirty"):
        value = _serializer(request).dumps(request.scope["portal_session"])
        secure = request.url.scheme == "https"
        response.set_cookie(
            COOKIE, value, max_age=SESSION_MAX_AGE, httponly=True, samesite="lax", secure=secure, path="/"
        )
    return response


def end(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


async def check_csrf(request: Request) -> None:
    """A router dependency: every POST must carry this session's CSRF token."""
    if request.method != "POST":
        return
    expected = read(request).get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(expected, sent):
        raise CsrfRefused()


@dataclass(frozen=True)
class Viewer:
    """The signed-in user and the Principal that the services scope and check against. Plain values, not the ORM
    row: a page that rolls back a failed save still renders them."""

    user_id: str
    email: str
    role: str
    principal: Principal

    def can(self, permission: str) -> bool:
        return self.principal.can(permission)

    def need(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"Your role ({self.role}) may not do this: ask an administrator.")


async def signed_in(request: Request, session: AsyncSession = Depends(get_session)) -> Viewer:
    data = read(request)
    user = await session.get(PortalUser, data["uid"]) if data.get("uid") else None
    if user is None or data.get("fp") != users.fingerprint(user):
        raise LoginRequired()
    visible = await descendant_ids(session, user.organization_id)
    principal = Principal(f"user:{user.id}", user.organization_id, user.role, visible)
    request.state.viewer = Viewer(user.id, user.email, user.role, principal)
    return request.state.viewer
