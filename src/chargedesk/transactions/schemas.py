"""A charging session as the API and the export show it."""

from datetime import datetime

from chargedesk.schemas import Out
from chargedesk.transactions.models import Transaction


class TransactionOut(Out):
    id: int
    station_id: str
    organization_id: str
    location_id: str | None
    connector_id: int
    id_tag: str
    token_id: str | None
    customer_id: str | None
    authorization_status: str
    billing: str
    billing_reason: str | None
    status: str
    started_at: datetime
    stopped_at: datetime | None
    meter_start: int
    meter_stop: int | None
    energy_wh: int | None
    stop_reason: str | None
    stop_id_tag: str | None
    reservation_id: int | None
    updated_at: datetime

    @classmethod
    def of(cls, row: Transaction) -> "TransactionOut":
        data = {name: getattr(row, name) for name in cls.model_fields if name != "status"}
        return cls(**data, status="active" if row.stopped_at is None else "completed")
