from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, JSONType, Timestamped, UTCDateTime, utcnow


class Location(Timestamped, Base):
    __tablename__ = "locations"
    __table_args__ = (
        Index("ix_locations_org_id", "organization_id", "id"),
        Index("ix_locations_coordinates", "latitude", "longitude"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    address: Mapped[str] = mapped_column(String(255), nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    postal_code: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(3), nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    parking_type: Mapped[str | None] = mapped_column(String(32))
    facilities: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    opening_times: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    directions: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    owner: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    custom_groups: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    remarks: Mapped[str | None] = mapped_column(Text)
    maintenance: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    published: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Lower-cased name, address, city, postal code and external id: what `q` searches.
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")


class LocationAuthorizedCustomer(Base):
    """A customer on a location's authorization list: all of the customer's tokens may charge there."""

    __tablename__ = "location_authorized_customers"

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class LocationAuthorizedToken(Base):
    """A charge token on a location's authorization list."""

    __tablename__ = "location_authorized_tokens"

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("tokens.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
