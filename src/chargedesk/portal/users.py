"""Portal accounts: create them (CLI, demo data) and check a sign-in."""

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.keys import ROLES
from chargedesk.auth.passwords import hash_password, verify_password
from chargedesk.db import utcnow
from chargedesk.errors import Conflict, Invalid
from chargedesk.ids import new_id
from chargedesk.portal.models import PortalUser

MIN_PASSWORD = 10
# Verified when the email is unknown, so that a wrong email takes as long as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    value = normalise_email(email)
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 254:
        raise Invalid("email", f"{email!r} is not an email address (e.g. jane@example.com).")
    return value


async def create(
    session: AsyncSession, email: str, password: str, organization_id: str, role: str, name: str | None = None
) -> PortalUser:
    email = check_email(email)
    if role not in ROLES:
        raise Invalid("role", f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise Invalid("password", f"The password needs at least {MIN_PASSWORD} characters.")
    if await by_email(session, email) is not None:
        raise Conflict(f"A portal user with email {email!r} exists already.")
    user = PortalUser(
        id=new_id("usr"),
        email=email,
        password_hash=hash_password(password),
        organization_id=organization_id,
        role=role,
        name=name,
    )
    session.add(user)
    await session.flush()
    return user


async def by_email(session: AsyncSession, email: str) -> PortalUser | None:
    return await session.scalar(select(PortalUser).where(PortalUser.email == normalise_email(email)))


async def authenticate(session: AsyncSession, email: str, password: str) -> PortalUser | None:
    """The user if the email and password match, else None (the same answer for either mistake)."""
    user = await by_email(session, email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    await session.flush()
    return user


def fingerprint(user: PortalUser) -> str:
    """Changes when the password does: a session cookie carries it, so a new password ends older sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


async def emails(session: AsyncSession, user_ids: list[str], visible: frozenset[str]) -> dict[str, str]:
    """user id → email, for the users of the `visible` organisations (audit trails)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(PortalUser.id, PortalUser.email).where(
            PortalUser.id.in_(set(user_ids)), PortalUser.organization_id.in_(visible)
        )
    )
    return dict(rows.all())  # type: ignore[arg-type]
