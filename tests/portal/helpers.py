"""Signing in to the portal from tests: create a user, fetch the login form's CSRF token, post the form."""

import re

import httpx

from chargedesk.db import Database
from chargedesk.organizations import service as organizations
from chargedesk.portal import users

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def make_user(
    db: Database, email: str, org: str = "Operator", role: str = "admin", parent: str | None = None
) -> str:
    """Create the organisation (below the organisation named `parent`) if missing, and a user in it; its id."""
    async with db.sessionmaker() as session:
        existing = await organizations.by_name(session, org)
        if existing is None:
            parent_id = (await organizations.by_name(session, parent)).id if parent else None
            existing = await organizations.create(session, org, parent_id)
        await users.create(session, email, PASSWORD, existing.id, role)
        await session.commit()
        return existing.id


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD, next: str = "/") -> httpx.Response:
    page = await client.get("/login")
    form = {"csrf_token": csrf_of(page.text), "email": email, "password": password, "next": next}
    return await client.post("/login", data=form)
