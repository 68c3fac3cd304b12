import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from chargedesk.customers.models import Customer
from chargedesk.locations.models import Location, LocationAuthorizedCustomer
from tests.factories import location_body, station_body


async def test_create_and_read_every_field(client, admin):
    body = location_body(
        external_id="CRM-42",
        state="Noord-Holland",
        directions="Follow the signs to P2.",
        operator={"name": "Demo Operator", "website": "https://operator.example/"},
        owner={"name": "City of Amsterdam"},
        opening_times={
            "twentyfourseven": False,
            "regular_hours": [{"weekday": 1, "period_begin": "07:00", "period_end": "22:00"}],
            "exceptional_closings": [{"period_begin": "2026-12-25T00:00:00Z", "period_end": "2026-12-26T00:00:00Z"}],
        },
        maintenance={"status": "scheduled", "notes": "replace cable", "next_visit": "2026-12-01"},
    )
    created = await client.post("/locations", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    location = created.json()
    assert location["id"].startswith("loc_")
    assert location["organization_id"] == admin.organization_id
    assert location["private"] is False and location["station_count"] == 0 and location["published"] is True
    for field in (
        "name",
        "address",
        "city",
        "postal_code",
        "country",
        "coordinates",
        "custom_groups",
        "remarks",
        "facilities",
        "external_id",
        "state",
        "directions",
        "time_zone",
        "parking_type",
    ):
        assert location[field] == body[field], field
    assert location["operator"]["website"] == "https://operator.example/"
    assert location["owner"] == {"name": "City of Amsterdam", "website": None}
    assert location["maintenance"] == {
        "status": "scheduled",
        "notes": "replace cable",
        "last_visit": None,
        "next_visit": "2026-12-01",
    }
    assert location["opening_times"]["regular_hours"][0]["weekday"] == 1
    read = await client.get(f"/locations/{location['id']}", headers=admin.headers)
    assert read.status_code == 200 and read.json() == location


async def test_put_replaces_the_whole_location(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    replaced = await client.put(
        f"/locations/{location['id']}",
        json=location_body(name="Renamed", custom_groups=[], remarks=None, maintenance=None),
        headers=admin.headers,
    )
    assert replaced.status_code == 200, replaced.text
    after = replaced.json()
    assert after["name"] == "Renamed" and after["custom_groups"] == [] and after["remarks"] is None
    assert after["maintenance"] is None
    assert after["updated_at"] > location["updated_at"]
    assert after["created_at"] == location["created_at"]


async def test_patch_changes_only_what_is_sent_and_replaces_nested_objects_whole(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    patched = await client.patch(
        f"/locations/{location['id']}",
        json={"maintenance": {"status": "in_progress"}, "custom_groups": ["b", "a", "b"]},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    # the maintenance object is replaced, not merged: the old notes and last_visit are gone
    assert after["maintenance"] == {
        "status": "in_progress",
        "notes": None,
        "last_visit": None,
        "next_visit": None,
    }
    assert after["custom_groups"] == ["b", "a"]
    assert after["name"] == location["name"] and after["remarks"] == location["remarks"]
    cleared = await client.patch(f"/locations/{location['id']}", json={"remarks": None}, headers=admin.headers)
    assert cleared.json()["remarks"] is None


async def test_patch_refuses_null_for_required_fields(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    response = await client.patch(f"/locations/{location['id']}", json={"name": None}, headers=admin.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()["name"] == location["name"]


async def test_delete_refuses_while_stations_are_linked(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    station = station_body(location_id=location["id"])
    assert (await client.post("/charge-stations", json=station, headers=admin.headers)).status_code == 201
    refused = await client.delete(f"/locations/{location['id']}", headers=admin.headers)
    assert refused.status_code == 409
    assert "unlink" in refused.json()["detail"]
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()["station_count"] == 1
    await client.delete(f"/charge-stations/{station['id']}/location", headers=admin.headers)
    assert (await client.delete(f"/locations/{location['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).status_code == 404


async def test_publish_and_unpublish(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    unpublished = await client.post(f"/locations/{location['id']}/unpublish", headers=admin.headers)
    assert unpublished.status_code == 200 and unpublished.json()["published"] is False
    # a PUT that does not send `published` keeps the state
    await client.put(f"/locations/{location['id']}", json=location_body(), headers=admin.headers)
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()["published"] is False
    published = await client.post(f"/locations/{location['id']}/publish", headers=admin.headers)
    assert published.json()["published"] is True


async def test_publishing_a_private_location_is_refused(client, admin, db):
    location = (await client.post("/locations?", json=location_body(published=False), headers=admin.headers)).json()
    async with db.sessionmaker() as session:
        session.add(Customer(id="cus_1", organization_id=admin.organization_id, name="Ada", search_text="ada"))
        await session.flush()
        session.add(LocationAuthorizedCustomer(location_id=location["id"], customer_id="cus_1"))
        await session.commit()
    read = (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()
    assert read["private"] is True
    refused = await client.post(f"/locations/{location['id']}/publish", headers=admin.headers)
    assert refused.status_code == 409 and "private" in refused.json()["detail"]
    refused = await client.patch(f"/locations/{location['id']}", json={"published": True}, headers=admin.headers)
    assert refused.status_code == 409
    listed = await client.get("/locations?private=true", headers=admin.headers)
    assert [i["id"] for i in listed.json()["items"]] == [location["id"]]
    assert (await client.get("/locations?private=false", headers=admin.headers)).json()["items"] == []


async def test_list_filters(client, admin):
    ids = {}
    for name, city, groups, published in [
        ("Harbour Car Park", "Rotterdam", ["parking", "fast"], True),
        ("Station Square", "Amsterdam", ["city-centre"], True),
        ("Depot", "Utrecht", ["fleet"], False),
    ]:
        body = location_body(name=name, city=city, custom_groups=groups, published=published, external_id=f"X-{city}")
        ids[name] = (await client.post("/locations", json=body, headers=admin.headers)).json()["id"]

    async def names(query: str) -> list[str]:
        response = await client.get(f"/locations?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return sorted(i["name"] for i in response.json()["items"])

    assert await names("q=harb") == ["Harbour Car Park"]
    assert await names("q=AMSTERDAM") == ["Station Square"]
    assert await names("q=x-utrecht") == ["Depot"]
    assert await names("q=100%25") == []  # a literal %, not a wildcard
    assert await names("custom_group=fast") == ["Harbour Car Park"]
    assert await names("custom_group=fas") == []
    assert await names("published=false") == ["Depot"]
    assert await names("published=true&custom_group=city-centre") == ["Station Square"]
    assert await names("private=false") == ["Depot", "Harbour Car Park", "Station Square"]


async def test_updated_since_sees_station_changes(client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    await asyncio.sleep(0.01)
    mark = datetime.now(UTC).isoformat()
    assert (await client.get("/locations", params={"updated_since": mark}, headers=admin.headers)).json()["items"] == []
    body = station_body(location_id=location["id"])
    await client.post("/charge-stations", json=body, headers=admin.headers)
    seen = (await client.get("/locations", params={"updated_since": mark}, headers=admin.headers)).json()["items"]
    assert [i["id"] for i in seen] == [location["id"]] and seen[0]["station_count"] == 1
    await asyncio.sleep(0.01)
    mark = datetime.now(UTC).isoformat()
    patched = await client.patch(
        f"/charge-stations/{body['id']}",
        json={
            "evses": [
                {
                    "evse_id": 1,
                    "connectors": [
                        {
                            "id": 1,
                            "standard": "CHADEMO",
                            "format": "CABLE",
                            "power_type": "DC",
                            "max_voltage": 500,
                            "max_amperage": 125,
                        }
                    ],
                }
            ]
        },
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    seen = (await client.get("/locations", params={"updated_since": mark}, headers=admin.headers)).json()["items"]
    assert [i["id"] for i in seen] == [location["id"]]


async def test_cursor_pagination_is_stable_while_rows_are_inserted(client, admin):
    for i in range(25):
        await client.post("/locations", json=location_body(name=f"L{i:02}"), headers=admin.headers)
    seen: list[str] = []
    cursor = None
    inserted = 0
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/locations", params=params, headers=admin.headers)).json()
        seen.extend(i["name"] for i in page["items"])
        # another client inserts while we page
        await client.post("/locations", json=location_body(name=f"new{inserted}"), headers=admin.headers)
        inserted += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    originals = [n for n in seen if n.startswith("L")]
    assert originals == [f"L{i:02}" for i in range(25)]  # none skipped, none repeated, in order
    assert len(seen) == len(set(seen))


async def test_limit_is_capped_at_1000(client, admin, db):
    now = datetime.now(UTC)
    rows = [
        {
            "id": f"loc_{i:06}",
            "organization_id": admin.organization_id,
            "name": f"L{i}",
            "address": "a",
            "city": "c",
            "country": "NLD",
            "latitude": 0.0,
            "longitude": 0.0,
            "facilities": [],
            "custom_groups": [],
            "published": True,
            "search_text": "",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1001)
    ]
    async with db.sessionmaker() as session:
        await session.execute(insert(Location), rows)
        await session.commit()
    page = (await client.get("/locations", params={"limit": 5000}, headers=admin.headers)).json()
    assert len(page["items"]) == 1000 and page["next_cursor"]
    rest = (
        await client.get("/locations", params={"limit": 5000, "cursor": page["next_cursor"]}, headers=admin.headers)
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


async def test_sub_organisation_objects_are_visible_to_the_parent_only(client, make_key):
    parent = await make_key("Operator")
    child = await make_key("Partner", parent=parent)
    sibling = await make_key("Other operator")
    mine = (await client.post("/locations", json=location_body(), headers=child.headers)).json()
    assert mine["organization_id"] == child.organization_id
    assert (await client.get(f"/locations/{mine['id']}", headers=parent.headers)).status_code == 200
    assert (await client.get(f"/locations/{mine['id']}", headers=sibling.headers)).status_code == 404
    assert (await client.get("/locations", headers=sibling.headers)).json()["items"] == []
    theirs = (await client.post("/locations", json=location_body(), headers=parent.headers)).json()
    assert (await client.get(f"/locations/{theirs['id']}", headers=child.headers)).status_code == 404
    # the parent may create in the child's organisation, the child not in the parent's
    made = await client.post(
        "/locations", json=location_body(organization_id=child.organization_id), headers=parent.headers
    )
    assert made.status_code == 201 and made.json()["organization_id"] == child.organization_id
    refused = await client.post(
        "/locations", json=location_body(organization_id=parent.organization_id), headers=child.headers
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "organization_id"


async def test_updated_since_is_exclusive_of_older_rows(client, admin):
    await client.post("/locations", json=location_body(), headers=admin.headers)
    future = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert (await client.get("/locations", params={"updated_since": future}, headers=admin.headers)).json()[
        "items"
    ] == []
