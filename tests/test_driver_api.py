"""The driver API (Charge Assist): a driver sees published public locations and the private locations they are
authorized at, and nothing else (RULES.md §2)."""

from tests.factories import location_body


async def _setup(client, admin):
    async def location(name, lat=52.37, lon=4.90, published=True):
        body = location_body(name=name, published=published, coordinates={"latitude": lat, "longitude": lon})
        return (await client.post("/locations", json=body, headers=admin.headers)).json()["id"]

    ids = {
        "public": await location("Public", 52.37, 4.90),
        "far_public": await location("Far away", 50.85, 4.35),
        "unpublished": await location("Unpublished", published=False),
        "mine_by_customer": await location("Mine by customer"),
        "mine_by_token": await location("Mine by token"),
        "someone_elses": await location("Someone else's"),
    }
    ada = (await client.post("/customers", json={"name": "Ada"}, headers=admin.headers)).json()
    bob = (await client.post("/customers", json={"name": "Bob"}, headers=admin.headers)).json()
    ada_card = (
        await client.post("/tokens", json={"uid": "04AAAB11CD2345", "customer_id": ada["id"]}, headers=admin.headers)
    ).json()
    bob_card = (
        await client.post("/tokens", json={"uid": "0A1B2C3D", "customer_id": bob["id"]}, headers=admin.headers)
    ).json()

    async def allow(location_id, kind, ids_):
        response = await client.post(
            f"/locations/{location_id}/authorization/{kind}", json={f"{kind[:-1]}_ids": ids_}, headers=admin.headers
        )
        assert response.status_code == 200, response.text

    await allow(ids["mine_by_customer"], "customers", [ada["id"]])
    await allow(ids["mine_by_token"], "tokens", [ada_card["id"]])
    await allow(ids["someone_elses"], "tokens", [bob_card["id"]])
    keys = {}
    for name, customer in (("ada", ada), ("bob", bob)):
        issued = await client.post(f"/customers/{customer['id']}/driver-keys", headers=admin.headers)
        assert issued.status_code == 201, issued.text
        keys[name] = {"Authorization": f"Bearer {issued.json()['key']}"}
    return ids, keys


async def _names(client, headers, **params):
    response = await client.get("/driver/locations", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


async def test_a_driver_sees_public_and_their_private_locations_only(client, admin):
    _, keys = await _setup(client, admin)
    assert await _names(client, keys["ada"]) == ["Far away", "Mine by customer", "Mine by token", "Public"]
    assert await _names(client, keys["bob"]) == ["Far away", "Public", "Someone else's"]


async def test_near_filters_and_orders_by_distance(client, admin):
    _, keys = await _setup(client, admin)
    response = await client.get(
        "/driver/locations", params={"near": "52.371,4.901", "radius_km": 10}, headers=keys["ada"]
    )
    items = response.json()["items"]
    assert "Far away" not in [i["name"] for i in items] and len(items) == 3
    assert [i["distance_km"] for i in items] == sorted(i["distance_km"] for i in items)
    assert all(0 < i["distance_km"] < 0.5 for i in items)
    private = {i["name"]: i["private"] for i in items}
    assert private == {"Public": False, "Mine by customer": True, "Mine by token": True}
    bad = await client.get("/driver/locations", params={"near": "north"}, headers=keys["ada"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "near"


async def test_visibility_follows_list_changes(client, admin):
    ids, keys = await _setup(client, admin)
    await client.delete(
        f"/locations/{ids['mine_by_token']}/authorization/tokens", params={"all": "true"}, headers=admin.headers
    )
    # now public again but still unpublished: nobody sees it until it is published
    assert "Mine by token" not in await _names(client, keys["ada"])
    assert "Mine by token" not in await _names(client, keys["bob"])
    await client.post(f"/locations/{ids['mine_by_token']}/publish", headers=admin.headers)
    assert "Mine by token" in await _names(client, keys["bob"])


async def test_driver_keys_and_operator_keys_do_not_mix(client, admin, make_key):
    _, keys = await _setup(client, admin)
    for path in ("/locations", "/customers", "/tokens", "/charge-stations", "/organizations", "/audit-events"):
        assert (await client.get(path, headers=keys["ada"])).status_code == 403, path
    assert (await client.get("/driver/locations", headers=admin.headers)).status_code == 403
    assert (await client.get("/driver/locations")).status_code == 401
    other = await make_key("Other operator")
    ada = (await client.get("/customers", params={"q": "Ada"}, headers=admin.headers)).json()["items"][0]
    assert (await client.post(f"/customers/{ada['id']}/driver-keys", headers=other.headers)).status_code == 404
    viewer = await make_key("Operator", "viewer")
    assert (await client.post(f"/customers/{ada['id']}/driver-keys", headers=viewer.headers)).status_code == 403


async def test_drivers_of_a_sub_organisation_see_the_operators_network(client, admin, make_key):
    partner = await make_key("Partner", parent=admin)
    await client.post("/locations", json=location_body(name="Operator site"), headers=admin.headers)
    customer = (await client.post("/customers", json={"name": "Resident"}, headers=partner.headers)).json()
    key = (await client.post(f"/customers/{customer['id']}/driver-keys", headers=partner.headers)).json()["key"]
    assert await _names(client, {"Authorization": f"Bearer {key}"}) == ["Operator site"]
    stranger = await make_key("Other operator")
    await client.post("/locations", json=location_body(name="Elsewhere"), headers=stranger.headers)
    assert "Elsewhere" not in await _names(client, {"Authorization": f"Bearer {key}"})
