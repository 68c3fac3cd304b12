from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, Timestamped, UTCDateTime


class Token(Timestamped, Base):
    """A charge token (card, tag, app id): what a driver presents at a station."""

    __tablename__ = "tokens"
    __table_args__ = (
        # No two tokens of one organisation tree share a uid or an auth_id (case-insensitive: stored keys
        # are upper-cased).
        UniqueConstraint("root_organization_id", "uid", name="uq_tokens_root_uid"),
        UniqueConstraint("root_organization_id", "auth_key", name="uq_tokens_root_auth_key"),
        Index("ix_tokens_org_id", "organization_id", "id"),
        Index("ix_tokens_uid", "uid"),
        Index("ix_tokens_auth_key", "auth_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False)
    root_organization_id: Mapped[str] = mapped_column(String(40), nullable=False)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    uid: Mapped[str | None] = mapped_column(String(36))
    auth_id: Mapped[str] = mapped_column(String(64), nullable=False)
    auth_key: Mapped[str] = mapped_column(String(64), nullable=False)
    visual_number: Mapped[str | None] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(16), default="RFID", nullable=False)
    issuer: Mapped[str | None] = mapped_column(String(64))
    nickname: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    whitelist: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    external: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    group_id: Mapped[str | None] = mapped_column(String(36))
    max_concurrent_transactions: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
