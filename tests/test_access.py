"""Access rules for every endpoint: 401 without a valid key, 403 for a role without the right, 404 for another
organisation's object, and success for the roles that have the right."""

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import location_body, station_body


@dataclass
class Endpoint:
    method: str
    path: str  # {loc}, {sta}, {org} are filled in with objects of the key's organisation or of another one
    body: Any = None
    allowed: tuple[str, ...] = ("admin", "location_manager", "installer", "viewer")
    ok: int = 200


READ = ("admin", "location_manager", "installer", "viewer")
MANAGE = ("admin", "location_manager")
LINK = ("admin", "location_manager", "installer")

ENDPOINTS = [
    Endpoint("GET", "/organizations"),
    Endpoint("GET", "/organizations/{org}"),
    Endpoint("POST", "/organizations", {"name": "Sub"}, ("admin",), 201),
    Endpoint("PATCH", "/organizations/{org}", {"external_id": "E1"}, ("admin",)),
    Endpoint("GET", "/locations"),
    Endpoint("GET", "/locations/{loc}"),
    Endpoint("POST", "/locations", location_body(), MANAGE, 201),
    Endpoint("PUT", "/locations/{loc}", location_body(name="Replaced"), MANAGE),
    Endpoint("PATCH", "/locations/{loc}", {"remarks": "x"}, MANAGE),
    Endpoint("POST", "/locations/{loc}/unpublish", None, MANAGE),
    Endpoint("POST", "/locations/{loc}/publish", None, MANAGE),
    Endpoint("DELETE", "/locations/{empty_loc}", None, MANAGE, 204),
    Endpoint("GET", "/charge-stations"),
    Endpoint("GET", "/charge-stations/{sta}"),
    Endpoint("POST", "/charge-stations", station_body("CP-NEW"), MANAGE, 201),
    Endpoint("PUT", "/charge-stations/{sta}", {k: v for k, v in station_body().items() if k != "id"}, MANAGE),
    Endpoint("PATCH", "/charge-stations/{sta}", {"tariff_code": "T2"}, MANAGE),
    Endpoint("PUT", "/charge-stations/{sta}/password", {"password": "0123456789abcdef"}, MANAGE, 204),
    Endpoint("PUT", "/charge-stations/{sta}/location", {"location_id": "{loc}"}, LINK),
    Endpoint("DELETE", "/charge-stations/{sta}/location", None, LINK),
    Endpoint("DELETE", "/charge-stations/{sta}", None, MANAGE, 204),
]


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, replacement in names.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


async def _objects(client, caller, suffix: str) -> dict[str, str]:
    loc = (await client.post("/locations", json=location_body(), headers=caller.headers)).json()["id"]
    empty = (await client.post("/locations", json=location_body(), headers=caller.headers)).json()["id"]
    sta = f"CP-{suffix}"
    created = await client.post("/charge-stations", json=station_body(sta, location_id=loc), headers=caller.headers)
    assert created.status_code == 201, created.text
    return {"loc": loc, "empty_loc": empty, "sta": sta, "org": caller.organization_id}


def _ids(endpoint: Endpoint) -> str:
    return f"{endpoint.method} {endpoint.path}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
async def test_missing_or_wrong_key_is_401(client, admin, endpoint):
    mine = await _objects(client, admin, "MINE")
    for headers in ({}, {"Authorization": "Bearer cdk_wrong"}, {"Authorization": "Basic abc"}):
        response = await client.request(
            endpoint.method, _fill(endpoint.path, mine), json=_fill(endpoint.body, mine), headers=headers
        )
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
@pytest.mark.parametrize("role", ["admin", "location_manager", "installer", "viewer"])
async def test_roles(client, admin, make_key, endpoint, role):
    mine = await _objects(client, admin, "MINE")
    caller = await make_key("Operator", role)
    response = await client.request(
        endpoint.method, _fill(endpoint.path, mine), json=_fill(endpoint.body, mine), headers=caller.headers
    )
    if role in endpoint.allowed:
        assert response.status_code == endpoint.ok, response.text
    else:
        assert response.status_code == 403, response.text
        assert role in response.json()["detail"]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if "{" in e.path], ids=_ids)
async def test_another_organisations_object_is_404(client, admin, make_key, endpoint):
    mine = await _objects(client, admin, "MINE")
    other = await make_key("Other operator")
    theirs = await _objects(client, other, "THEIRS")
    # my key, their object (the body refers to my objects where it names any)
    path = _fill(endpoint.path, theirs)
    response = await client.request(endpoint.method, path, json=_fill(endpoint.body, mine), headers=admin.headers)
    assert response.status_code == 404, response.text
    # and nothing of theirs changed
    assert (await client.get(f"/locations/{theirs['loc']}", headers=other.headers)).json()["name"] == "Station Square"
    assert (await client.get(f"/charge-stations/{theirs['sta']}", headers=other.headers)).status_code == 200


async def test_driver_keys_cannot_call_operator_endpoints(client, admin, db):
    from chargedesk.auth.keys import create_key
    from chargedesk.customers.models import Customer

    async with db.sessionmaker() as session:
        session.add(Customer(id="cus_d", organization_id=admin.organization_id, name="Driver", search_text="driver"))
        await session.flush()
        _, secret = await create_key(session, admin.organization_id, "driver", customer_id="cus_d")
        await session.commit()
    response = await client.get("/locations", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and "driver" in response.json()["detail"]
