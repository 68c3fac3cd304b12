from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, JSONType, UTCDateTime, utcnow


class AuditEvent(Base):
    """Who changed what, when and how: one row per change of an audited resource."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_resource_id", "resource", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # "key:<id>" for an API key, "user:<id>" for a portal user, "cli" for the command line
    actor: Mapped[str] = mapped_column(String(60), nullable=False)
    resource: Mapped[str] = mapped_column(String(80), nullable=False)  # e.g. "location:loc_…"
    action: Mapped[str] = mapped_column(String(60), nullable=False)  # e.g. "authorization.tokens.added"
    method: Mapped[str | None] = mapped_column(String(20))  # single, batch, import, clear, all
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
