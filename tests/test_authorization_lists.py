"""Private locations: authorization lists (RULES.md §2), through the API."""

import pytest

from tests.factories import location_body

NL_OK = "NL-TNM-C00000001-Q"  # an eMAID with a valid check digit
NL_BAD = "NL-TNM-C00000001-4"  # the same with a wrong one


async def _location(client, caller, **overrides):
    return (await client.post("/locations", json=location_body(**overrides), headers=caller.headers)).json()


async def _customer(client, caller, name="Ada Janssen", external_id="CRM-1"):
    response = await client.post("/customers", json={"name": name, "external_id": external_id}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _token(client, caller, **fields):
    response = await client.post("/tokens", json=fields, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _list(client, caller, location_id, **params):
    response = await client.get(f"/locations/{location_id}/authorization", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_adding_the_first_entry_makes_the_location_private_and_unpublished(client, admin):
    location = await _location(client, admin)
    assert location["published"] is True and location["private"] is False
    customer = await _customer(client, admin)
    added = await client.post(
        f"/locations/{location['id']}/authorization/customers",
        json={"customer_ids": [customer["id"]]},
        headers=admin.headers,
    )
    assert added.status_code == 200, added.text
    change = added.json()
    assert change["added"] == [customer["id"]] and change["already_present"] == []
    assert change["private"] is True and change["published"] is False and change["customer_count"] == 1
    read = (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()
    assert read["private"] is True and read["published"] is False
    listed = await _list(client, admin, location["id"])
    assert listed["private"] is True and listed["customers"][0]["name"] == "Ada Janssen"
    assert listed["customers"][0]["external_id"] == "CRM-1" and listed["tokens"] == []
    again = await client.post(
        f"/locations/{location['id']}/authorization/customers",
        json={"customer_ids": [customer["id"]]},
        headers=admin.headers,
    )
    assert again.json()["added"] == [] and again.json()["already_present"] == [customer["id"]]


async def test_tokens_by_id_and_by_auth_id_with_external_tokens(client, admin):
    location = await _location(client, admin)
    customer = await _customer(client, admin)
    chip = await _token(
        client, admin, uid="04AAAB11CD2345", customer_id=customer["id"], visual_number="NL-TNM-B12345-6"
    )
    contract = await _token(client, admin, uid="0A1B2C3D", auth_id=NL_OK)
    path = f"/locations/{location['id']}/authorization/tokens"
    added = await client.post(
        path, json={"token_ids": [chip["id"]], "auth_ids": [NL_OK.lower(), "DE-XYZ-C12345678"]}, headers=admin.headers
    )
    assert added.status_code == 200, added.text
    change = added.json()
    assert len(change["external_created"]) == 1
    assert set(change["added"]) == {chip["id"], contract["id"], change["external_created"][0]}
    external = (await client.get(f"/tokens/{change['external_created'][0]}", headers=admin.headers)).json()
    assert external["external"] is True and external["auth_id"] == "DE-XYZ-C12345678" and external["uid"] is None
    tokens = {t["auth_id"]: t for t in (await _list(client, admin, location["id"]))["tokens"]}
    assert tokens["04AAAB11CD2345"]["customer_name"] == "Ada Janssen"
    assert tokens["04AAAB11CD2345"]["visual_number"] == "NL-TNM-B12345-6"
    assert tokens["DE-XYZ-C12345678"]["external"] is True
    # adding the external auth ID again finds the token made the first time
    again = await client.post(path, json={"auth_ids": ["de-xyz-c12345678"]}, headers=admin.headers)
    assert again.json()["external_created"] == [] and again.json()["already_present"] == change["external_created"]


async def test_removing_single_selected_and_all(client, admin):
    location = await _location(client, admin)
    base = f"/locations/{location['id']}/authorization"
    customers = [await _customer(client, admin, f"C{i}", f"X{i}") for i in range(3)]
    tokens = [await _token(client, admin, uid=f"0A1B2C{i:02}") for i in range(3)]
    await client.post(f"{base}/customers", json={"customer_ids": [c["id"] for c in customers]}, headers=admin.headers)
    await client.post(f"{base}/tokens", json={"token_ids": [t["id"] for t in tokens]}, headers=admin.headers)

    one = await client.delete(f"{base}/customers/{customers[0]['id']}", headers=admin.headers)
    assert one.status_code == 200 and one.json()["customer_count"] == 2
    missing = await client.delete(f"{base}/customers/{customers[0]['id']}", headers=admin.headers)
    assert missing.status_code == 404
    selected = await client.request(
        "DELETE",
        f"{base}/tokens",
        json={"token_ids": [tokens[0]["id"], tokens[1]["id"], "tok_nope"]},
        headers=admin.headers,
    )
    assert selected.status_code == 200
    assert selected.json()["removed"] == [tokens[0]["id"], tokens[1]["id"]]
    assert selected.json()["not_found"] == ["tok_nope"] and selected.json()["token_count"] == 1
    everything = await client.delete(f"{base}/customers", params={"all": "true"}, headers=admin.headers)
    assert everything.json()["customer_count"] == 0 and everything.json()["private"] is True
    last = await client.delete(f"{base}/tokens", params={"all": "true"}, headers=admin.headers)
    assert last.json()["token_count"] == 0 and last.json()["private"] is False
    nothing = await client.request("DELETE", f"{base}/tokens", json={}, headers=admin.headers)
    assert nothing.status_code == 422


async def test_making_a_private_location_public_again(client, admin):
    """The seed: clear all entries from both lists, then set the location to Published."""
    location = await _location(client, admin)
    base = f"/locations/{location['id']}/authorization"
    customer = await _customer(client, admin)
    token = await _token(client, admin, uid="04AAAB11CD2345")
    await client.post(f"{base}/customers", json={"customer_ids": [customer["id"]]}, headers=admin.headers)
    await client.post(f"{base}/tokens", json={"token_ids": [token["id"]]}, headers=admin.headers)
    refused = await client.post(f"/locations/{location['id']}/publish", headers=admin.headers)
    assert refused.status_code == 409 and "private" in refused.json()["detail"]
    await client.delete(f"{base}/customers", params={"all": "true"}, headers=admin.headers)
    still = await client.post(f"/locations/{location['id']}/publish", headers=admin.headers)
    assert still.status_code == 409  # a token is still on the list
    await client.delete(f"{base}/tokens", params={"all": "true"}, headers=admin.headers)
    read = (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()
    assert read["private"] is False and read["published"] is False  # emptying does not publish
    published = await client.post(f"/locations/{location['id']}/publish", headers=admin.headers)
    assert published.status_code == 200 and published.json()["published"] is True
    unpublished = await client.post(f"/locations/{location['id']}/unpublish", headers=admin.headers)
    assert unpublished.json()["published"] is False
    audit = await client.get(
        "/audit-events", params={"resource": f"location:{location['id']}", "limit": 100}, headers=admin.headers
    )
    actions = [e["action"] for e in audit.json()["items"]]
    assert actions[-2:] == ["location.published", "location.unpublished"]


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


async def _import(client, caller, location_id, content: bytes, **form):
    return await client.post(
        f"/locations/{location_id}/authorization/tokens/import",
        files={"file": ("list.csv", content, "text/csv")},
        data={k: str(v).lower() for k, v in form.items()},
        headers=caller.headers,
    )


async def test_csv_import_with_clear_dry_run_and_re_import(client, admin):
    location = await _location(client, admin)
    known = await _token(client, admin, uid="0A1B2C3D", auth_id=NL_OK)
    old = await _token(client, admin, uid="11223344")
    customer = await _customer(client, admin)
    base = f"/locations/{location['id']}/authorization"
    await client.post(f"{base}/tokens", json={"token_ids": [old["id"]]}, headers=admin.headers)
    await client.post(f"{base}/customers", json={"customer_ids": [customer["id"]]}, headers=admin.headers)
    content = _csv("auth_id", NL_OK, "DE-XYZ-C12345678", "FR-ABC-C87654321")

    dry = await _import(client, admin, location["id"], content, clear=True, dry_run=True)
    assert dry.status_code == 200, dry.text
    expected = {"rows": 3, "added": 3, "already_present": 0, "external": 2, "removed_by_clear": 1}
    assert {k: dry.json()[k] for k in expected} == expected and dry.json()["errors"] == []
    untouched = await _list(client, admin, location["id"])
    assert [t["id"] for t in untouched["tokens"]] == [old["id"]]

    real = await _import(client, admin, location["id"], content, clear=True)
    assert real.status_code == 200, real.text
    assert {k: real.json()[k] for k in expected} == expected
    after = await _list(client, admin, location["id"])
    assert {t["auth_id"] for t in after["tokens"]} == {NL_OK, "DE-XYZ-C12345678", "FR-ABC-C87654321"}
    assert known["id"] in {t["id"] for t in after["tokens"]}
    assert after["customer_count"] == 1  # customers stay on the list

    again = await _import(client, admin, location["id"], content, clear=True)
    assert {k: again.json()[k] for k in expected} == {
        "rows": 3,
        "added": 0,
        "already_present": 3,
        "external": 0,
        "removed_by_clear": 0,
    }
    # semicolons, a BOM, and uid as the column
    by_uid = await _import(client, admin, location["id"], b"\xef\xbb\xbfuid;auth_id\n11223344;\n")
    assert by_uid.status_code == 200, by_uid.text
    assert by_uid.json()["added"] == 1 and by_uid.json()["external"] == 0


@pytest.mark.parametrize(
    ("content", "line", "needle"),
    [
        (b"", 1, "empty"),
        (b"auth_id\n", 1, "no rows"),
        (_csv("auth_id", NL_OK, "DE-XYZ-C12345678", NL_OK.lower()), 4, "line 2"),
        (_csv("auth_id", "DE-XYZ-C12345678", NL_BAD), 3, "check digit"),
        (_csv("auth_id", "04-AA-BB"), None, None),
        (_csv("token", "X"), 1, "unknown column"),
        (_csv("uid", "04-AAAB-11"), 2, "visible ID"),
    ],
)
async def test_bad_list_imports_change_nothing(client, admin, content, line, needle):
    location = await _location(client, admin)
    response = await _import(client, admin, location["id"], content)
    if line is None:  # a harmless auth ID that merely has hyphens: fine
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422 and body["errors"]
    assert any(e["line"] == line and needle in e["message"] for e in body["errors"]), body["errors"]
    listed = await _list(client, admin, location["id"])
    assert listed["tokens"] == [] and listed["private"] is False
    assert (await client.get("/tokens", params={"q": "DE-XYZ"}, headers=admin.headers)).json()["items"] == []


async def test_import_refuses_a_token_of_another_organisation(client, admin, make_key):
    other = await make_key("Other operator")
    await _token(client, other, uid="0A1B2C3D", auth_id=NL_OK)
    location = await _location(client, admin)
    response = await _import(client, admin, location["id"], _csv("auth_id", "DE-XYZ-C12345678", NL_OK))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"line": 3, "value": NL_OK, "message": response.json()["errors"][0]["message"]}
    ]
    assert "another organisation" in response.json()["errors"][0]["message"]
    assert (await _list(client, admin, location["id"]))["tokens"] == []
    single = await client.post(
        f"/locations/{location['id']}/authorization/tokens", json={"auth_ids": [NL_OK]}, headers=admin.headers
    )
    assert single.status_code == 422


async def test_batch_delete_naming_ids_of_another_location(client, admin):
    a = await _location(client, admin, name="A")
    b = await _location(client, admin, name="B")
    token = await _token(client, admin, uid="0A1B2C3D")
    await client.post(
        f"/locations/{a['id']}/authorization/tokens", json={"token_ids": [token["id"]]}, headers=admin.headers
    )
    response = await client.request(
        "DELETE",
        f"/locations/{b['id']}/authorization/tokens",
        json={"token_ids": [token["id"]]},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert response.json()["removed"] == [] and response.json()["not_found"] == [token["id"]]
    assert (await _list(client, admin, a["id"]))["token_count"] == 1


async def test_invalid_auth_id_in_a_single_add(client, admin):
    location = await _location(client, admin)
    response = await client.post(
        f"/locations/{location['id']}/authorization/tokens", json={"auth_ids": [NL_BAD]}, headers=admin.headers
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "auth_ids.0"
    assert "check digit" in response.json()["errors"][0]["message"]
    unknown = await client.post(
        f"/locations/{location['id']}/authorization/customers",
        json={"customer_ids": ["cus_nope"]},
        headers=admin.headers,
    )
    assert unknown.status_code == 422 and "customers?q=" in unknown.json()["errors"][0]["message"]
    assert (await _list(client, admin, location["id"]))["private"] is False


@pytest.mark.parametrize("role", ["installer", "viewer"])
async def test_only_admins_and_location_managers_change_lists(client, admin, make_key, role):
    location = await _location(client, admin)
    customer = await _customer(client, admin)
    caller = await make_key("Operator", role)
    base = f"/locations/{location['id']}/authorization"
    assert (await client.get(base, headers=caller.headers)).status_code == 200
    for method, path, kwargs in [
        ("POST", f"{base}/customers", {"json": {"customer_ids": [customer["id"]]}}),
        ("POST", f"{base}/tokens", {"json": {"auth_ids": ["DE-XYZ-C12345678"]}}),
        ("DELETE", f"{base}/tokens", {"params": {"all": "true"}}),
        ("DELETE", f"{base}/customers/{customer['id']}", {}),
        ("POST", f"{base}/tokens/import", {"files": {"file": ("a.csv", b"auth_id\nX1\n")}}),
    ]:
        response = await client.request(method, path, headers=caller.headers, **kwargs)
        assert response.status_code == 403, (method, path, response.text)
    manager = await make_key("Operator", "location_manager")
    ok = await client.post(f"{base}/customers", json={"customer_ids": [customer["id"]]}, headers=manager.headers)
    assert ok.status_code == 200


async def test_another_organisations_list_is_404(client, admin, make_key):
    other = await make_key("Other operator")
    theirs = await _location(client, other)
    base = f"/locations/{theirs['id']}/authorization"
    assert (await client.get(base, headers=admin.headers)).status_code == 404
    assert (
        await client.post(f"{base}/tokens", json={"auth_ids": ["DE-XYZ-C12345678"]}, headers=admin.headers)
    ).status_code == 404
    assert (await client.delete(f"{base}/tokens", params={"all": "true"}, headers=admin.headers)).status_code == 404
    assert (await _import(client, admin, theirs["id"], _csv("auth_id", "X1"))).status_code == 404
    assert (await _list(client, other, theirs["id"]))["tokens"] == []


async def test_every_change_is_audited(client, admin):
    location = await _location(client, admin)
    customer = await _customer(client, admin)
    base = f"/locations/{location['id']}/authorization"
    await client.post(f"{base}/customers", json={"customer_ids": [customer["id"]]}, headers=admin.headers)
    await client.post(
        f"{base}/tokens", json={"auth_ids": ["DE-XYZ-C12345678", "FR-ABC-C87654321"]}, headers=admin.headers
    )
    await _import(client, admin, location["id"], _csv("auth_id", "BE-QQQ-C11111111"), clear=True)
    await client.delete(f"{base}/customers/{customer['id']}", headers=admin.headers)
    await _import(client, admin, location["id"], _csv("auth_id", "X"), dry_run=True)  # a dry run changes nothing
    events = []
    cursor = None
    while True:
        params = {"resource": f"location:{location['id']}", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/audit-events", params=params, headers=admin.headers)).json()
        events.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(e["action"], e["method"]) for e in events] == [
        ("authorization.customers.added", "single"),
        ("authorization.tokens.added", "batch"),
        ("authorization.tokens.imported", "clear"),
        ("authorization.customers.removed", "single"),
    ]
    assert all(e["actor"].startswith("key:") for e in events)
    assert events[0]["details"]["added"] == [customer["id"]]
    assert len(events[1]["details"]["external_created"]) == 2
    assert events[2]["details"]["removed_by_clear"] == 2 and events[2]["details"]["external"] == 1
    assert events[3]["details"]["removed"] == [customer["id"]]


async def test_list_pages(client, admin):
    location = await _location(client, admin)
    content = _csv("auth_id", *[f"DE-XYZ-C{i:08d}" for i in range(25)])
    assert (await _import(client, admin, location["id"], content)).status_code == 200
    first = await _list(client, admin, location["id"], limit=10)
    assert first["token_count"] == 25 and len(first["tokens"]) == 10 and first["tokens_next_cursor"]
    seen = [t["id"] for t in first["tokens"]]
    cursor = first["tokens_next_cursor"]
    while cursor:
        page = (
            await client.get(
                f"/locations/{location['id']}/authorization/tokens",
                params={"limit": 10, "cursor": cursor},
                headers=admin.headers,
            )
        ).json()
        seen.extend(t["id"] for t in page["items"])
        cursor = page["next_cursor"]
    assert len(seen) == 25 == len(set(seen))


async def test_authorized_lookup_is_an_index_search(db):
    """'Is token T authorized at location L' must be answered from an index, never by scanning the list."""
    from sqlalchemy import select, text

    from chargedesk.locations.models import LocationAuthorizedCustomer, LocationAuthorizedToken

    queries = [
        select(LocationAuthorizedToken.token_id).where(
            LocationAuthorizedToken.location_id == "loc_1", LocationAuthorizedToken.token_id == "tok_1"
        ),
        select(LocationAuthorizedCustomer.customer_id).where(
            LocationAuthorizedCustomer.location_id == "loc_1", LocationAuthorizedCustomer.customer_id == "cus_1"
        ),
    ]
    async with db.engine.connect() as conn:
        for query in queries:
            sql = str(query.compile(conn.engine, compile_kwargs={"literal_binds": True}))
            if db.dialect == "sqlite":
                plan = " ".join(str(row[-1]) for row in await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
                assert plan.startswith("SEARCH") and "INDEX" in plan, plan
            else:
                await conn.execute(text("SET enable_seqscan = off"))
                plan = " ".join(row[0] for row in await conn.execute(text(f"EXPLAIN {sql}")))
                assert "Index" in plan and "Seq Scan" not in plan, plan
