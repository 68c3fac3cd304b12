"""Bad input: a clear 4xx that names the problem, and nothing changed."""

import pytest

from tests.factories import location_body, station_body


async def _count(client, admin, path: str) -> int:
    return len((await client.get(path, params={"limit": 1000}, headers=admin.headers)).json()["items"])


async def test_malformed_json(client, admin):
    response = await client.post(
        "/locations", content=b'{"name": "x",', headers=admin.headers | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "not valid JSON" in response.json()["detail"]
    assert await _count(client, admin, "/locations") == 0


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"name": 42}, "name"),
        ({"coordinates": {"latitude": "north", "longitude": 4.9}}, "coordinates.latitude"),
        ({"coordinates": {"latitude": 91, "longitude": 4.9}}, "coordinates.latitude"),
        ({"coordinates": {"latitude": 52, "longitude": -180.5}}, "coordinates.longitude"),
        ({"country": "XYZ"}, "country"),
        ({"country": "NL"}, "country"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"facilities": ["SPACEPORT"]}, "facilities.0"),
        ({"maintenance": {"status": "broken"}}, "maintenance.status"),
        ({"colour": "green"}, "colour"),
        (
            {
                "opening_times": {
                    "twentyfourseven": False,
                    "regular_hours": [{"weekday": 8, "period_begin": "08:00", "period_end": "09:00"}],
                }
            },
            "opening_times.regular_hours.0.weekday",
        ),
    ],
)
async def test_invalid_location_fields_are_named(client, admin, override, field):
    response = await client.post("/locations", json=location_body(**override), headers=admin.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422 and body["title"]
    assert field in [e["field"] for e in body["errors"]], body
    assert all(e["message"] for e in body["errors"])
    assert await _count(client, admin, "/locations") == 0


async def test_unknown_country_message_says_what_to_use(client, admin):
    response = await client.post("/locations", json=location_body(country="XYZ"), headers=admin.headers)
    assert "alpha-3" in response.json()["errors"][0]["message"]


async def test_unknown_field_is_refused_by_name(client, admin):
    response = await client.post("/locations", json=location_body(colour="green", size=3), headers=admin.headers)
    errors = response.json()["errors"]
    assert sorted(e["field"] for e in errors) == ["colour", "size"]
    assert "unknown field" in errors[0]["message"]


async def test_duplicate_station_id(client, admin):
    assert (await client.post("/charge-stations", json=station_body("CP-1"), headers=admin.headers)).status_code == 201
    again = await client.post("/charge-stations", json=station_body("CP-1", vendor="Other"), headers=admin.headers)
    assert again.status_code == 409 and "CP-1" in again.json()["detail"]
    assert (await client.get("/charge-stations/CP-1", headers=admin.headers)).json()["vendor"] == "Alfen"


async def test_station_linked_to_another_organisations_location(client, admin, make_key):
    other = await make_key("Other operator")
    theirs = (await client.post("/locations", json=location_body(), headers=other.headers)).json()
    response = await client.post("/charge-stations", json=station_body(location_id=theirs["id"]), headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "location_id"
    assert await _count(client, admin, "/charge-stations") == 0
    mine = (await client.post("/charge-stations", json=station_body(), headers=admin.headers)).json()
    linked = await client.put(
        f"/charge-stations/{mine['id']}/location", json={"location_id": theirs["id"]}, headers=admin.headers
    )
    assert linked.status_code == 422
    assert (await client.get(f"/charge-stations/{mine['id']}", headers=admin.headers)).json()["location_id"] is None
    assert (await client.get(f"/locations/{theirs['id']}", headers=other.headers)).json()["station_count"] == 0


@pytest.mark.parametrize("bad_id", ["CP:1", "", "x" * 49, "CP 1", "CP/1", "ÄBC"])
async def test_invalid_station_ids(client, admin, bad_id):
    response = await client.post("/charge-stations", json=station_body(bad_id), headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "id"
    assert await _count(client, admin, "/charge-stations") == 0


async def test_colon_in_station_id_explains_why(client, admin):
    response = await client.post("/charge-stations", json=station_body("CP:1"), headers=admin.headers)
    assert "Basic auth" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"access_mode": "private"}, "access_mode"),
        ({"availability": "broken"}, "availability"),
        (
            {
                "evses": [
                    {
                        "evse_id": 1,
                        "connectors": [
                            {
                                "id": 1,
                                "standard": "SCHUKO",
                                "format": "SOCKET",
                                "power_type": "AC_1_PHASE",
                                "max_voltage": 230,
                                "max_amperage": 16,
                            }
                        ],
                    }
                ]
            },
            "evses.0.connectors.0.standard",
        ),
        ({"evses": [{"evse_id": 1, "connectors": []}]}, "evses.0.connectors"),
        ({"configuration": {"HeartbeatInterval": 300}}, "configuration.HeartbeatInterval"),
        ({"password": "short"}, "password"),
    ],
)
async def test_invalid_station_fields(client, admin, override, field):
    response = await client.post("/charge-stations", json=station_body(**override), headers=admin.headers)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_duplicate_connector_ids_are_refused(client, admin):
    from tests.factories import connector

    evses = [{"evse_id": 1, "connectors": [connector(1)]}, {"evse_id": 2, "connectors": [connector(1)]}]
    response = await client.post("/charge-stations", json=station_body(evses=evses), headers=admin.headers)
    assert response.status_code == 422
    assert "connector id 1 appears twice" in response.json()["errors"][0]["message"]


async def test_bad_cursor(client, admin):
    response = await client.get("/locations", params={"cursor": "%%%"}, headers=admin.headers)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor"
