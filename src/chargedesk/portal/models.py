from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, Timestamped, UTCDateTime


class PortalUser(Timestamped, Base):
    """A person who signs in to the portal: an organisation and a role, like an API key."""

    __tablename__ = "portal_users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Stored lower-cased, so that sign-in is case-insensitive and the unique index covers every spelling.
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
