from chargedesk.ocpp.simulator import station
from tests.factories import connector
from tests.ocpp.conftest import add_station


async def test_commissioning_passes_for_a_working_station(server, admin, db, make_key):
    await add_station(db, admin.organization_id, "CP-1")
    await server.api.patch(
        "/charge-stations/CP-1",
        json={"evses": [{"evse_id": 1, "connectors": [connector(1)]}, {"evse_id": 2, "connectors": [connector(2)]}]},
    )
    installer = await make_key(role="installer")
    offline = await server.api.post("/charge-stations/CP-1/commissioning-test", headers=installer.headers)
    assert offline.status_code == 200 and offline.json()["passed"] is False
    checks = {c["name"]: c for c in offline.json()["checks"]}
    assert checks["connected"]["passed"] is False and "not connected" in checks["trigger_message"]["detail"]
    async with station(server.url, "CP-1", connectors=1) as sim:
        await sim.boot()
        await sim.report_status()
        half = (await server.api.post("/charge-stations/CP-1/commissioning-test", headers=installer.headers)).json()
        assert [c["name"] for c in half["checks"] if not c["passed"]] == ["connectors_reported"]
        sim.connectors = 2
        await sim.report_status()
        result = await server.api.post("/charge-stations/CP-1/commissioning-test", headers=installer.headers)
    assert result.json()["passed"] is True, result.json()
    names = [c["name"] for c in result.json()["checks"]]
    assert names == [
        "connected",
        "booted",
        "heartbeat_recent",
        "connectors_reported",
        "configuration_readable",
        "trigger_message",
    ]
    viewer = await make_key(role="viewer")
    assert (
        await server.api.post("/charge-stations/CP-1/commissioning-test", headers=viewer.headers)
    ).status_code == 403
