from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, JSONType, Timestamped, UTCDateTime

# An integer key: OCPP 1.6 transactionId is an integer. SQLite only autoincrements INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Transaction(Timestamped, Base):
    """A charging session as the station reported it, with what the authorization decided at its start."""

    __tablename__ = "transactions"
    __table_args__ = (
        # A retransmitted StartTransaction carries the same values: it finds this row instead of adding one.
        UniqueConstraint(
            "station_id", "connector_id", "id_tag", "meter_start", "started_at", name="uq_transactions_start"
        ),
        Index("ix_transactions_org_started", "organization_id", "started_at"),
        Index("ix_transactions_token_open", "token_id", "stopped_at"),
        Index("ix_transactions_station_started", "station_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign keys to stations, tokens or locations: the history outlives them.
    station_id: Mapped[str] = mapped_column(String(48), nullable=False)
    organization_id: Mapped[str] = mapped_column(String(40), nullable=False)
    location_id: Mapped[str | None] = mapped_column(String(40), index=True)
    connector_id: Mapped[int] = mapped_column(Integer, nullable=False)
    id_tag: Mapped[str] = mapped_column(String(36), nullable=False)
    token_id: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    authorization_status: Mapped[str] = mapped_column(String(20), nullable=False)
    billing: Mapped[str] = mapped_column(String(10), nullable=False)
    billing_reason: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    meter_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)
    energy_wh: Mapped[int | None] = mapped_column(BigInteger)
    stop_reason: Mapped[str | None] = mapped_column(String(30))
    stop_id_tag: Mapped[str | None] = mapped_column(String(36))
    last_meter_wh: Mapped[int | None] = mapped_column(BigInteger)
    transaction_data: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
