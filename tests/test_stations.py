from sqlalchemy import select

from chargedesk.stations.models import ChargeStation
from tests.factories import connector, location_body, station_body


async def test_create_and_read_every_field(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    body = station_body(
        "NL*TNM-Eve.01",
        location_id=location["id"],
        availability="inoperative",
        access_mode="whitelist",
        remarks="behind the gate",
        maintenance={"status": "needs_attention", "notes": "RFID reader loose"},
    )
    created = await client.post("/charge-stations", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    station = created.json()
    for field in (
        "id",
        "location_id",
        "vendor",
        "model",
        "serial_number",
        "charger_type",
        "access_mode",
        "tariff_code",
        "availability",
        "configuration",
        "custom_groups",
        "remarks",
    ):
        assert station[field] == body[field], field
    assert station["organization_id"] == admin.organization_id
    assert station["evses"][0]["connectors"][0] == connector(1)
    assert station["maintenance"]["status"] == "needs_attention"
    # read-only runtime fields
    assert station["online"] is False and station["last_seen"] is None and station["ocpp_version"] is None
    assert station["connector_statuses"] == [] and station["has_password"] is False
    read = await client.get("/charge-stations/NL*TNM-Eve.01", headers=admin.headers)
    assert read.json() == station
    assert (await client.get("/charge-stations/nl*tnm-eve.01", headers=admin.headers)).status_code == 404


async def test_put_and_patch(client, admin):
    await client.post("/charge-stations", json=station_body("CP-1"), headers=admin.headers)
    put_body = {k: v for k, v in station_body().items() if k != "id"} | {"configuration": {}, "tariff_code": None}
    replaced = await client.put("/charge-stations/CP-1", json=put_body, headers=admin.headers)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["configuration"] == {} and replaced.json()["tariff_code"] is None
    patched = await client.patch(
        "/charge-stations/CP-1",
        json={
            "tariff_code": "DC-FAST",
            "availability": "inoperative",
            "configuration": {"MeterValueSampleInterval": "60"},
        },
        headers=admin.headers,
    )
    after = patched.json()
    assert after["tariff_code"] == "DC-FAST" and after["availability"] == "inoperative"
    assert after["configuration"] == {"MeterValueSampleInterval": "60"}  # replaced as a whole
    assert after["vendor"] == "Alfen"
    refused = await client.patch("/charge-stations/CP-1", json={"id": "CP-2"}, headers=admin.headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "id"


async def test_password_is_write_only_and_hashed(client, admin, db):
    body = station_body("CP-1", password="correct-horse-battery")
    created = (await client.post("/charge-stations", json=body, headers=admin.headers)).json()
    assert "password" not in created and created["has_password"] is True
    async with db.sessionmaker() as session:
        stored = await session.scalar(select(ChargeStation.password_hash).where(ChargeStation.id == "CP-1"))
    assert stored and "correct-horse-battery" not in stored and stored.startswith("$argon2")
    from chargedesk.auth.passwords import verify_password

    assert verify_password(stored, "correct-horse-battery")
    changed = await client.put(
        "/charge-stations/CP-1/password", json={"password": "another-password-1"}, headers=admin.headers
    )
    assert changed.status_code == 204
    async with db.sessionmaker() as session:
        stored = await session.scalar(select(ChargeStation.password_hash).where(ChargeStation.id == "CP-1"))
    assert verify_password(stored, "another-password-1") and not verify_password(stored, "correct-horse-battery")
    removed = await client.put("/charge-stations/CP-1/password", json={"password": None}, headers=admin.headers)
    assert removed.status_code == 204
    assert (await client.get("/charge-stations/CP-1", headers=admin.headers)).json()["has_password"] is False


async def test_installer_links_and_unlinks_a_station(client, admin, make_key):
    installer = await make_key("Operator", "installer")
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    await client.post("/charge-stations", json=station_body("CP-1"), headers=admin.headers)
    linked = await client.put(
        "/charge-stations/CP-1/location", json={"location_id": location["id"]}, headers=installer.headers
    )
    assert linked.status_code == 200 and linked.json()["location_id"] == location["id"]
    assert (await client.get(f"/locations/{location['id']}", headers=installer.headers)).json()["station_count"] == 1
    # the installer may link but not edit other fields
    assert (
        await client.patch("/charge-stations/CP-1", json={"tariff_code": "X"}, headers=installer.headers)
    ).status_code == 403
    unlinked = await client.delete("/charge-stations/CP-1/location", headers=installer.headers)
    assert unlinked.json()["location_id"] is None
    assert (await client.get(f"/locations/{location['id']}", headers=installer.headers)).json()["station_count"] == 0


async def test_moving_a_station_touches_both_locations(client, admin):
    a = (await client.post("/locations", json=location_body(name="A"), headers=admin.headers)).json()
    b = (await client.post("/locations", json=location_body(name="B"), headers=admin.headers)).json()
    await client.post("/charge-stations", json=station_body("CP-1", location_id=a["id"]), headers=admin.headers)
    before = {i["id"]: i["updated_at"] for i in (await client.get("/locations", headers=admin.headers)).json()["items"]}
    await client.patch("/charge-stations/CP-1", json={"location_id": b["id"]}, headers=admin.headers)
    after = {i["id"]: i for i in (await client.get("/locations", headers=admin.headers)).json()["items"]}
    assert after[a["id"]]["updated_at"] > before[a["id"]] and after[a["id"]]["station_count"] == 0
    assert after[b["id"]]["updated_at"] > before[b["id"]] and after[b["id"]]["station_count"] == 1


async def test_list_filters_and_pagination(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    for i in range(5):
        body = station_body(
            f"CP-{i}",
            location_id=location["id"] if i % 2 == 0 else None,
            access_mode="whitelist" if i == 4 else "public",
            custom_groups=[f"g{i % 2}"],
            serial_number=f"SN-{i}",
        )
        assert (await client.post("/charge-stations", json=body, headers=admin.headers)).status_code == 201

    async def ids(query: str) -> list[str]:
        return [s["id"] for s in (await client.get(f"/charge-stations?{query}", headers=admin.headers)).json()["items"]]

    assert await ids(f"location_id={location['id']}") == ["CP-0", "CP-2", "CP-4"]
    assert await ids("access_mode=whitelist") == ["CP-4"]
    assert await ids("custom_group=g1") == ["CP-1", "CP-3"]
    assert await ids("q=sn-3") == ["CP-3"]
    assert await ids("online=false") == [f"CP-{i}" for i in range(5)]
    first = (await client.get("/charge-stations?limit=2", headers=admin.headers)).json()
    second = (await client.get(f"/charge-stations?limit=2&cursor={first['next_cursor']}", headers=admin.headers)).json()
    assert [s["id"] for s in first["items"] + second["items"]] == ["CP-0", "CP-1", "CP-2", "CP-3"]


async def test_station_in_a_sub_organisation(client, make_key):
    parent = await make_key("Operator")
    child = await make_key("Partner", parent=parent)
    body = station_body("CP-1", organization_id=child.organization_id)
    created = await client.post("/charge-stations", json=body, headers=parent.headers)
    assert created.status_code == 201 and created.json()["organization_id"] == child.organization_id
    assert (await client.get("/charge-stations/CP-1", headers=child.headers)).status_code == 200
    refused = await client.post(
        "/charge-stations", json=station_body("CP-2", organization_id=parent.organization_id), headers=child.headers
    )
    assert refused.status_code == 422
