from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, JSONType, Timestamped, UTCDateTime


class ChargeStation(Timestamped, Base):
    """A charge station; its id is the OCPP identity it connects with."""

    __tablename__ = "charge_stations"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"), index=True)
    vendor: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    serial_number: Mapped[str | None] = mapped_column(String(50))
    charger_type: Mapped[str | None] = mapped_column(String(50))
    access_mode: Mapped[str] = mapped_column(String(16), default="public", nullable=False)
    tariff_code: Mapped[str | None] = mapped_column(String(50))
    availability: Mapped[str] = mapped_column(String(16), default="operative", nullable=False)
    configuration: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, nullable=False)
    custom_groups: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    remarks: Mapped[str | None] = mapped_column(Text)
    maintenance: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    evses: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Reported by the station over OCPP.
    ocpp_version: Mapped[str | None] = mapped_column(String(16))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    boot_info: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    online: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_boot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConnectorStatus(Base):
    """The last StatusNotification of one connector (connector_id 0 is the station itself)."""

    __tablename__ = "connector_statuses"

    station_id: Mapped[str] = mapped_column(ForeignKey("charge_stations.id", ondelete="CASCADE"), primary_key=True)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evse_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(50))
    info: Mapped[str | None] = mapped_column(String(100))
    vendor_error_code: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
