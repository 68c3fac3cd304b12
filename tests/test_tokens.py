"""Charge tokens: fields, search, immutable identifiers, uniqueness per organisation tree, whitelist passes."""

import asyncio

import pytest


async def _token(client, caller, **body):
    response = await client.post("/tokens", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_every_field_round_trips(client, admin):
    customer = (await client.post("/customers", json={"name": "Ada"}, headers=admin.headers)).json()
    body = {
        "customer_id": customer["id"],
        "uid": "04aaab11cd2345",
        "auth_id": "NL-TNM-000122045-U",
        "visual_number": "nl-tnm-b12345-6",
        "type": "RFID",
        "issuer": "The New Motion",
        "nickname": "Ada's card",
        "status": "active",
        "valid_until": "2027-12-31T23:59:59Z",
        "whitelist": True,
        "external": False,
        "group_id": "FLEET-1",
        "max_concurrent_transactions": 2,
    }
    token = await _token(client, admin, **body)
    read = (await client.get(f"/tokens/{token['id']}", headers=admin.headers)).json()
    assert read == token
    assert read["uid"] == "04AAAB11CD2345" and read["visual_number"] == "NL-TNM-B12345-6"
    assert read["auth_id"] == "NL-TNM-000122045-U" and read["organization_id"] == admin.organization_id
    for name in ("issuer", "nickname", "group_id", "max_concurrent_transactions", "whitelist", "customer_id"):
        assert read[name] == body[name]
    assert read["valid_until"].startswith("2027-12-31T23:59:59") and read["warnings"] == []


async def test_auth_id_defaults_to_uid_and_several_tokens_per_customer(client, admin):
    customer = (await client.post("/customers", json={"name": "Fleet Co"}, headers=admin.headers)).json()
    first = await _token(client, admin, uid="0A1B2C3D", customer_id=customer["id"])
    second = await _token(client, admin, uid="12345678", customer_id=customer["id"])
    assert first["auth_id"] == "0A1B2C3D" and second["organization_id"] == admin.organization_id
    listed = await client.get("/tokens", params={"customer_id": customer["id"]}, headers=admin.headers)
    assert {t["id"] for t in listed.json()["items"]} == {first["id"], second["id"]}


async def test_search_matches_uid_auth_id_or_visual_number(client, admin):
    a = await _token(client, admin, uid="04AAAB11CD2345", visual_number="NL-TNM-B12345-6")
    b = await _token(client, admin, uid="0A1B2C3D", auth_id="NL-TNM-000722345-X")
    c = await _token(client, admin, auth_id="DE-8AA-001234567-0", type="APP")

    async def found(q):
        response = await client.get("/tokens", params={"q": q}, headers=admin.headers)
        return {t["id"] for t in response.json()["items"]}

    assert await found("04aaab") == {a["id"]}
    assert await found("b12345") == {a["id"]}
    assert await found("tnm-000722") == {b["id"]}
    assert await found("de-8aa") == {c["id"]}
    assert await found("nl-tnm") == {a["id"], b["id"]}
    assert await found("%") == set()


async def test_uid_and_auth_id_cannot_change_everything_else_can(client, admin):
    token = await _token(client, admin, uid="04AAAB11CD2345")
    path = f"/tokens/{token['id']}"
    for field, value in (("uid", "04AAAB11CD9999"), ("auth_id", "NL-TNM-000122045-U")):
        refused = await client.patch(path, json={field: value}, headers=admin.headers)
        assert refused.status_code == 409, refused.text
        assert "delete" in refused.json()["detail"].lower() and "add it again" in refused.json()["detail"]
    same = await client.patch(path, json={"uid": "04aaab11cd2345", "nickname": "kept uid"}, headers=admin.headers)
    assert same.status_code == 200 and same.json()["nickname"] == "kept uid"
    changes = {
        "visual_number": "NL-TNM-B22222-1",
        "type": "OTHER",
        "issuer": "Acme",
        "status": "blocked",
        "valid_until": "2028-01-01T00:00:00Z",
        "whitelist": True,
        "external": True,
        "group_id": "G1",
        "max_concurrent_transactions": 3,
    }
    patched = await client.patch(path, json=changes, headers=admin.headers)
    assert patched.status_code == 200, patched.text
    assert {k: patched.json()[k] for k in changes if k != "valid_until"} == {
        k: v for k, v in changes.items() if k != "valid_until"
    }
    assert patched.json()["uid"] == "04AAAB11CD2345"


async def test_classic_mistakes_are_refused_with_the_right_field(client, admin):
    visible_as_uid = await client.post("/tokens", json={"uid": "NL-TNM-B12345-6"}, headers=admin.headers)
    assert visible_as_uid.status_code == 422
    assert visible_as_uid.json()["errors"][0]["field"] == "uid"
    assert "visual_number" in visible_as_uid.json()["errors"][0]["message"]
    uid_as_visible = await client.post(
        "/tokens", json={"auth_id": "NL-TNM-000122045-U", "visual_number": "04AAAB11CD2345"}, headers=admin.headers
    )
    assert uid_as_visible.status_code == 422
    assert uid_as_visible.json()["errors"][0]["field"] == "visual_number"
    assert "put it in uid" in uid_as_visible.json()["errors"][0]["message"]
    bad_check = await client.post("/tokens", json={"auth_id": "NL-TNM-000122045-X"}, headers=admin.headers)
    assert bad_check.status_code == 422 and "'U'" in bad_check.json()["errors"][0]["message"]
    neither = await client.post("/tokens", json={"nickname": "no ids"}, headers=admin.headers)
    assert neither.status_code == 422
    assert (await client.get("/tokens", headers=admin.headers)).json()["items"] == []


async def test_unusual_uid_is_accepted_with_a_warning(client, admin):
    token = await _token(client, admin, uid="ABC123")
    assert [w["field"] for w in token["warnings"]] == ["uid"]
    assert "8, 14 or 20 hex" in token["warnings"][0]["message"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"uid": "04AAAB11CD2345"}, {"uid": "04aaab11cd2345", "auth_id": "NL-TNM-000122045-U"}),
        ({"uid": "0A1B2C3D", "auth_id": "NL-TNM-000122045-U"}, {"uid": "12345678", "auth_id": "nl-tnm-000122045-u"}),
        ({"uid": "0A1B2C3D"}, {"uid": "12345678", "auth_id": "0a1b2c3d"}),  # an auth_id equal to another's uid
    ],
)
async def test_identifiers_are_unique_in_the_organisation_tree(client, admin, make_key, first, second):
    existing = await _token(client, admin, **first)
    child = await make_key("Parkside VvE", parent=admin)
    refused = await client.post("/tokens", json=second, headers=child.headers)
    assert refused.status_code == 409, refused.text
    assert existing["id"] in refused.json()["detail"] and refused.json()["token_id"] == existing["id"]
    other = await make_key("Other operator")
    assert (await client.post("/tokens", json=second, headers=other.headers)).status_code == 201


async def test_concurrent_creates_of_one_uid_make_one_token(client, admin, db):
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    body = {"uid": "04AAAB11CD2345"}
    responses = await asyncio.gather(*(client.post("/tokens", json=body, headers=admin.headers) for _ in range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19, codes
    assert len((await client.get("/tokens", headers=admin.headers)).json()["items"]) == 1


async def test_whitelist_flag_filter_and_organisation_default(client, admin, make_key):
    plain = await _token(client, admin, uid="0A1B2C3D")
    assert plain["whitelist"] is False
    vve = await client.post("/organizations", json={"name": "VvE", "default_whitelist": True}, headers=admin.headers)
    vve_id = vve.json()["id"]
    passed = await _token(client, admin, uid="12345678", organization_id=vve_id)
    refused_default = await _token(client, admin, uid="87654321", organization_id=vve_id, whitelist=False)
    assert passed["whitelist"] is True and refused_default["whitelist"] is False

    async def listed(flag):
        response = await client.get("/tokens", params={"whitelist": flag}, headers=admin.headers)
        return {t["id"] for t in response.json()["items"]}

    assert await listed("true") == {passed["id"]}
    assert await listed("false") == {plain["id"], refused_default["id"]}


async def test_scope_roles_and_delete(client, admin, make_key):
    other = await make_key("Other operator")
    theirs = await _token(client, other, uid="0A1B2C3D")
    assert (await client.get(f"/tokens/{theirs['id']}", headers=admin.headers)).status_code == 404
    assert (await client.delete(f"/tokens/{theirs['id']}", headers=admin.headers)).status_code == 404
    viewer = await make_key("Operator", role="viewer")
    mine = await _token(client, admin, uid="12345678")
    assert (await client.get(f"/tokens/{mine['id']}", headers=viewer.headers)).status_code == 200
    assert (await client.post("/tokens", json={"uid": "87654321"}, headers=viewer.headers)).status_code == 403
    assert (await client.patch(f"/tokens/{mine['id']}", json={}, headers=viewer.headers)).status_code == 403
    assert (await client.delete(f"/tokens/{mine['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/tokens/{mine['id']}", headers=admin.headers)).status_code == 404


async def test_demo_tokens_follow_the_identifier_rules(db):
    from sqlalchemy import select

    from chargedesk import demo
    from chargedesk.tokens.identifiers import check_identifiers
    from chargedesk.tokens.models import Token

    async with db.sessionmaker() as session:
        assert await demo.load(session)
        tokens = (await session.execute(select(Token.uid, Token.auth_id, Token.visual_number))).all()
        await session.rollback()
    assert tokens
    for uid, auth_id, visual_number in tokens:
        checked = check_identifiers(uid, auth_id, visual_number)
        assert (checked.uid, checked.auth_id, checked.visual_number) == (uid, auth_id, visual_number)
