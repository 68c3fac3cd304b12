"""Customers: CRUD, search, organisation scope, and deleting a customer who holds tokens."""


async def _customer(client, caller, **body):
    response = await client.post("/customers", json={"name": "Ada Janssen", **body}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_crud(client, admin):
    created = await _customer(client, admin, external_id="CRM-1001", email="ada@example.com")
    assert created["organization_id"] == admin.organization_id and created["token_count"] == 0
    path = f"/customers/{created['id']}"
    assert (await client.get(path, headers=admin.headers)).json()["name"] == "Ada Janssen"
    patched = await client.patch(path, json={"name": "Ada de Vries"}, headers=admin.headers)
    assert patched.status_code == 200 and patched.json()["name"] == "Ada de Vries"
    assert patched.json()["external_id"] == "CRM-1001"
    assert (await client.delete(path, headers=admin.headers)).status_code == 204
    assert (await client.get(path, headers=admin.headers)).status_code == 404


async def test_search_by_name_or_external_id_prefix_and_substring(client, admin):
    await _customer(client, admin, name="Ada Janssen", external_id="CRM-1001")
    await _customer(client, admin, name="Fleet Co", external_id="CRM-2002")
    await _customer(client, admin, name="Parkside 100%", external_id=None)

    async def names(q):
        response = await client.get("/customers", params={"q": q}, headers=admin.headers)
        return sorted(c["name"] for c in response.json()["items"])

    assert await names("ada") == ["Ada Janssen"]  # prefix, case-insensitive
    assert await names("JANS") == ["Ada Janssen"]  # substring
    assert await names("crm-") == ["Ada Janssen", "Fleet Co"]
    assert await names("2002") == ["Fleet Co"]
    assert await names("100%") == ["Parkside 100%"]  # LIKE characters are literal
    assert await names("nobody") == []


async def test_sub_organisations_are_included_and_others_are_not(client, admin, make_key):
    child = await make_key("Parkside VvE", parent=admin)
    other = await make_key("Other operator")
    theirs = await _customer(client, child, name="Resident 4B")
    foreign = await _customer(client, other, name="Somebody")
    listed = (await client.get("/customers", headers=admin.headers)).json()["items"]
    assert [c["id"] for c in listed] == [theirs["id"]]
    assert (await client.get(f"/customers/{foreign['id']}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/customers/{theirs['id']}", headers=child.headers)).status_code == 200
    # A customer can be created directly in a sub-organisation.
    made = await _customer(client, admin, name="Resident 5A", organization_id=child.organization_id)
    assert made["organization_id"] == child.organization_id


async def test_delete_with_tokens_needs_cascade(client, admin):
    customer = await _customer(client, admin)
    token = await client.post(
        "/tokens", json={"uid": "04AAAB11CD2345", "customer_id": customer["id"]}, headers=admin.headers
    )
    assert token.status_code == 201, token.text
    path = f"/customers/{customer['id']}"
    assert (await client.get(path, headers=admin.headers)).json()["token_count"] == 1
    refused = await client.delete(path, headers=admin.headers)
    assert refused.status_code == 409 and "cascade=true" in refused.json()["detail"]
    assert (await client.get(f"/tokens/{token.json()['id']}", headers=admin.headers)).status_code == 200
    assert (await client.delete(path, params={"cascade": "true"}, headers=admin.headers)).status_code == 204
    assert (await client.get(f"/tokens/{token.json()['id']}", headers=admin.headers)).status_code == 404


async def test_writes_need_admin_reads_do_not(client, admin, make_key):
    viewer = await make_key("Operator", role="viewer")
    manager = await make_key("Operator", role="location_manager")
    customer = await _customer(client, admin)
    for caller in (viewer, manager):
        assert (await client.post("/customers", json={"name": "X"}, headers=caller.headers)).status_code == 403
        assert (await client.get(f"/customers/{customer['id']}", headers=caller.headers)).status_code == 200
        assert (await client.delete(f"/customers/{customer['id']}", headers=caller.headers)).status_code == 403


async def test_bad_customer_fields_are_named(client, admin):
    response = await client.post("/customers", json={"name": "", "colour": "red"}, headers=admin.headers)
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["colour", "name"]
    created = await _customer(client, admin)
    nulled = await client.patch(f"/customers/{created['id']}", json={"name": None}, headers=admin.headers)
    assert nulled.status_code == 422
