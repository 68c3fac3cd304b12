from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, Timestamped


class Organization(Timestamped, Base):
    """An operator or one of its customer organisations; the tree (parent_id) scopes every object."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    # The top of this organisation's tree: identifiers are unique per tree, enforced by indexes on it.
    root_id: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    party_id: Mapped[str | None] = mapped_column(String(3))
    default_whitelist: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
