"""API keys: random secrets shown once; the database keeps only their SHA-256."""

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.models import ApiKey
from chargedesk.ids import new_id

ROLES = ("admin", "location_manager", "installer", "viewer")
DRIVER_ROLE = "driver"


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    session: AsyncSession,
    organization_id: str,
    role: str,
    *,
    name: str | None = None,
    customer_id: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its secret (which is not stored)."""
    prefix = "cdd" if customer_id else "cdk"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        id=new_id("key"),
        organization_id=organization_id,
        role=role,
        name=name,
        customer_id=customer_id,
        key_hash=hash_key(secret),
        prefix=secret[:12],
    )
    session.add(key)
    await session.flush()
    return key, secret


async def labels(session: AsyncSession, key_ids: list[str], visible: frozenset[str]) -> dict[str, str]:
    """key id → its name (or its public prefix), for the keys of the `visible` organisations (audit trails)."""
    if not key_ids:
        return {}
    rows = await session.execute(
        select(ApiKey.id, ApiKey.name, ApiKey.prefix).where(
            ApiKey.id.in_(set(key_ids)), ApiKey.organization_id.in_(visible)
        )
    )
    return {key_id: f"API key {name or prefix + '…'}" for key_id, name, prefix in rows.all()}
