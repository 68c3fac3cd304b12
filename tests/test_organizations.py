async def test_tree_create_read_patch(client, admin, make_key):
    sub = await client.post(
        "/organizations",
        json={"name": "Parkside", "default_whitelist": True, "country_code": "nl", "party_id": "PRK"},
        headers=admin.headers,
    )
    assert sub.status_code == 201, sub.text
    child = sub.json()
    assert child["parent_id"] == admin.organization_id and child["country_code"] == "NL"
    subsub = await client.post(
        "/organizations", json={"name": "Block B", "parent_id": child["id"]}, headers=admin.headers
    )
    assert subsub.status_code == 201
    listed = (await client.get("/organizations", headers=admin.headers)).json()["items"]
    assert {o["name"] for o in listed} == {"Operator", "Parkside", "Block B"}
    patched = await client.patch(
        f"/organizations/{child['id']}", json={"default_whitelist": False}, headers=admin.headers
    )
    assert patched.json()["default_whitelist"] is False
    other = await make_key("Other")
    assert (await client.get(f"/organizations/{child['id']}", headers=other.headers)).status_code == 404
    assert [o["name"] for o in (await client.get("/organizations", headers=other.headers)).json()["items"]] == ["Other"]


async def test_names_are_unique_and_cycles_refused(client, admin):
    a = (await client.post("/organizations", json={"name": "A"}, headers=admin.headers)).json()
    b = (await client.post("/organizations", json={"name": "B", "parent_id": a["id"]}, headers=admin.headers)).json()
    dup = await client.post("/organizations", json={"name": "A"}, headers=admin.headers)
    assert dup.status_code == 409
    cycle = await client.patch(f"/organizations/{a['id']}", json={"parent_id": b["id"]}, headers=admin.headers)
    assert cycle.status_code == 422 and cycle.json()["errors"][0]["field"] == "parent_id"
    moved = await client.patch(
        f"/organizations/{b['id']}", json={"parent_id": admin.organization_id}, headers=admin.headers
    )
    assert moved.status_code == 200 and moved.json()["parent_id"] == admin.organization_id
    bad = await client.post("/organizations", json={"name": "C", "country_code": "XX"}, headers=admin.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "country_code"
