"""Transactions: persisted before the answer, idempotent on retransmission, late offline sessions, the API."""

import csv
import io

from chargedesk.ocpp.simulator import station
from chargedesk.transactions.models import Transaction
from tests.ocpp.conftest import add_station, add_token


async def _count(db) -> int:
    from sqlalchemy import func, select

    async with db.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Transaction))


async def test_retransmitted_start_and_stop_change_nothing(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    await add_token(db, admin.organization_id, "04AAAB11CD2345")
    async with station(server.url, "CP-1") as sim:
        at = "2026-11-01T08:00:00.123Z"
        first = await sim.start_transaction("04AAAB11CD2345", meter_start=500, timestamp=at)
        assert await _count(db) == 1  # persisted before the answer
        again = await sim.start_transaction("04AAAB11CD2345", meter_start=500, timestamp=at)
        assert again.transaction_id == first.transaction_id
        assert again.id_tag_info["status"] == "Accepted"
        stop_at = "2026-11-01T09:00:00Z"
        data = [
            {"timestamp": stop_at, "sampledValue": [{"value": "3500", "measurand": "Energy.Active.Import.Register"}]}
        ]
        await sim.stop_transaction(
            first.transaction_id, 3500, reason="EVDisconnected", timestamp=stop_at, transaction_data=data
        )
        await sim.stop_transaction(first.transaction_id, 9999, reason="Other", timestamp="2026-11-01T10:00:00Z")
    assert await _count(db) == 1
    row = (await server.api.get(f"/transactions/{first.transaction_id}")).json()
    assert (row["meter_start"], row["meter_stop"], row["energy_wh"]) == (500, 3500, 3000)
    assert row["stop_reason"] == "EVDisconnected"
    assert row["started_at"].startswith("2026-11-01T08:00:00.123")
    assert row["stopped_at"].startswith("2026-11-01T09:00:00")
    assert row["station_id"] == "CP-1" and row["token_id"] and row["billing"] == "paid"


async def test_late_offline_session_is_kept_and_filters_find_it(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    await add_token(db, admin.organization_id, "04AAAB11CD2345")
    async with station(server.url, "CP-1") as sim:
        old = await sim.start_transaction("04AAAB11CD2345", meter_start=0, timestamp="2025-01-05T10:00:00Z")
        await sim.stop_transaction(old.transaction_id, 1000, timestamp="2025-01-05T11:00:00Z")
        new = await sim.start_transaction("04AAAB11CD2345", meter_start=1000)
    january = await server.api.get(
        "/transactions", params={"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"}
    )
    assert [t["id"] for t in january.json()["items"]] == [old.transaction_id]
    active = await server.api.get("/transactions", params={"status": "active", "token": "04aaab11cd2345"})
    assert [t["id"] for t in active.json()["items"]] == [new.transaction_id]
    page = await server.api.get("/transactions", params={"limit": 1})
    assert page.json()["items"][0]["id"] == new.transaction_id
    rest = await server.api.get("/transactions", params={"limit": 1, "cursor": page.json()["next_cursor"]})
    assert [t["id"] for t in rest.json()["items"]] == [old.transaction_id]
    assert (await server.api.get("/transactions/999999")).status_code == 404


async def test_export_is_csv_and_formula_safe(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as sim:
        await sim.start_transaction("=HYPERLINK(1)", meter_start=0)
    response = await server.api.get("/transactions/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1 and rows[0]["id_tag"] == "'=HYPERLINK(1)"
    assert rows[0]["authorization_status"] == "Invalid"
