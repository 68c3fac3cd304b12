from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, Timestamped


class Customer(Timestamped, Base):
    """A person or company that holds charge tokens (the seeds' cardholder or user)."""

    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_org_id", "organization_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # Lower-cased name and external id: what `q` searches.
    search_text: Mapped[str] = mapped_column(String(400), nullable=False, default="")
