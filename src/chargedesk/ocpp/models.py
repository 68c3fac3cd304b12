from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, JSONType, UTCDateTime
from chargedesk.transactions.models import BigId


class OcppMessage(Base):
    """One OCPP-J frame, in either direction (the station's message log)."""

    __tablename__ = "ocpp_messages"
    __table_args__ = (
        Index("ix_ocpp_messages_station_id", "station_id", "id"),
        Index("ix_ocpp_messages_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(48), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    direction: Mapped[str] = mapped_column(String(3), nullable=False)  # in | out
    message_type: Mapped[str] = mapped_column(String(10), nullable=False)  # CALL | CALLRESULT | CALLERROR | INVALID
    message_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(50))
    payload: Mapped[Any] = mapped_column(JSONType)
    # " TAG1 TAG2 ": every idTag / idToken in the payload, upper-cased, for the id_tag filter.
    id_tags: Mapped[str | None] = mapped_column(Text)


class StationOcppState(Base):
    """What the gateway keeps about a station between connections."""

    __tablename__ = "station_ocpp_states"

    station_id: Mapped[str] = mapped_column(ForeignKey("charge_stations.id", ondelete="CASCADE"), primary_key=True)
    boot_status: Mapped[str | None] = mapped_column(String(20))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The listVersion last sent in SendLocalList; a Full update is due when the station's list may differ.
    local_list_version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    local_list_full_needed: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # What the station's list holds after the last accepted update: idTag -> idTagInfo.
    local_list: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    diagnostics_status: Mapped[str | None] = mapped_column(String(20))
    diagnostics_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    firmware_status: Mapped[str | None] = mapped_column(String(30))
    firmware_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
