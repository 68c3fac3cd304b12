from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargedesk.db import Base, Timestamped, UTCDateTime


class UnknownId(Timestamped, Base):
    """An id a station presented that resolved to no token: the inbox an operator turns into passes."""

    __tablename__ = "unknown_ids"
    __table_args__ = (
        UniqueConstraint("station_id", "id_tag", name="uq_unknown_ids_station_tag"),
        Index("ix_unknown_ids_org_id", "organization_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    station_id: Mapped[str] = mapped_column(String(48), nullable=False)
    organization_id: Mapped[str] = mapped_column(String(40), nullable=False)
    id_tag: Mapped[str] = mapped_column(String(36), nullable=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    count: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
