"""Who is calling: the API key in `Authorization: Bearer …`, its organisation tree and its role."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.keys import DRIVER_ROLE, hash_key
from chargedesk.auth.models import ApiKey
from chargedesk.errors import Forbidden, Unauthorized
from chargedesk.organizations.service import descendant_ids

# What each role may do beyond reading. Admins may do everything, including the admin-only
# "customers:write" and "tokens:write" (customers and their charge tokens).
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"*"}),
    "location_manager": frozenset(
        {"locations:write", "stations:write", "stations:link", "stations:commission", "authorization:write"}
    ),
    "installer": frozenset({"stations:link", "stations:commission"}),
    "viewer": frozenset(),
}


@dataclass(frozen=True)
class Principal:
    key_id: str
    organization_id: str
    role: str
    visible: frozenset[str]  # the organisation and its descendants
    customer_id: str | None = None

    def can(self, permission: str) -> bool:
        granted = PERMISSIONS.get(self.role, frozenset())
        return "*" in granted or permission in granted


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.sessionmaker() as session:
        yield session


_bearer = HTTPBearer(auto_error=False, description="An API key from `chargedesk api-key create`.")


async def _principal(credentials: HTTPAuthorizationCredentials | None, session: AsyncSession) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("Missing API key: send it as `Authorization: Bearer <key>`.")
    key = await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(credentials.credentials), ApiKey.revoked_at.is_(None))
    )
    if key is None:
        raise Unauthorized("Unknown or revoked API key.")
    visible = await descendant_ids(session, key.organization_id)
    return Principal(key.id, key.organization_id, key.role, visible, key.customer_id)


async def operator(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    session: AsyncSession = Depends(get_session),
) -> Principal:
    """An operator key (any role); driver keys are refused."""
    principal = await _principal(credentials, session)
    if principal.role == DRIVER_ROLE:
        raise Forbidden("A driver key can only call the driver API (/api/v1/driver/…).")
    return principal


async def driver(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    session: AsyncSession = Depends(get_session),
) -> Principal:
    principal = await _principal(credentials, session)
    if principal.role != DRIVER_ROLE:
        raise Forbidden("This endpoint takes a driver key (POST /api/v1/customers/{id}/driver-keys).")
    return principal


def require(permission: str) -> Callable[..., Principal]:
    """A dependency: an operator key whose role grants `permission`."""

    async def dependency(principal: Principal = Depends(operator)) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"The role {principal.role!r} may not do this (needs {permission}).")
        return principal

    return dependency
