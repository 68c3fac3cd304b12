"""The token CSV import and export (RULES.md §5): report, atomicity, idempotence, round trip, bad files."""

import csv
import io

import pytest

HEADER = "uid,auth_id,visual_number,type,customer_external_id,nickname,whitelist,valid_until\n"
GOOD = (
    HEADER
    + "04AAAB11CD2345,NL-TNM-000122045-U,NL-TNM-B12345-6,RFID,CRM-1001,Ada's card,true,2027-12-31\n"
    + "0a1b2c3d,,,,CRM-1002,Fleet 1,,\n"
    + "12345678,,,RFID,CRM-1002,Fleet 2,false,\n"
)


async def _import(client, caller, content, dry_run=False, **extra):
    data = content.encode() if isinstance(content, str) else content
    files = {"file": ("tokens.csv", data, "text/csv")}
    return await client.post(
        "/tokens/import", files=files, data={"dry_run": str(dry_run).lower(), **extra}, headers=caller.headers
    )


async def _tokens(client, caller):
    return (await client.get("/tokens", params={"limit": 1000}, headers=caller.headers)).json()["items"]


async def test_import_report_and_customers(client, admin):
    await client.post("/customers", json={"name": "Ada Janssen", "external_id": "CRM-1001"}, headers=admin.headers)
    response = await _import(client, admin, GOOD)
    assert response.status_code == 200, response.text
    report = response.json()
    assert {k: report[k] for k in ("rows", "added", "already_present", "external", "removed_by_clear")} == {
        "rows": 3,
        "added": 3,
        "already_present": 0,
        "external": 0,
        "removed_by_clear": 0,
    }
    assert report["errors"] == [] and report["customers_created"] == ["CRM-1002"]
    tokens = {t["uid"]: t for t in await _tokens(client, admin)}
    assert set(tokens) == {"04AAAB11CD2345", "0A1B2C3D", "12345678"}
    assert tokens["04AAAB11CD2345"]["whitelist"] is True and tokens["0A1B2C3D"]["auth_id"] == "0A1B2C3D"
    assert tokens["04AAAB11CD2345"]["valid_until"].startswith("2027-12-31")
    customers = (await client.get("/customers", headers=admin.headers)).json()["items"]
    by_external = {c["external_id"]: c for c in customers}
    assert len(customers) == 2 and by_external["CRM-1001"]["name"] == "Ada Janssen"
    assert tokens["0A1B2C3D"]["customer_id"] == tokens["12345678"]["customer_id"] == by_external["CRM-1002"]["id"]


async def test_reimport_is_idempotent_and_changes_update(client, admin):
    assert (await _import(client, admin, GOOD)).status_code == 200
    again = (await _import(client, admin, GOOD)).json()
    assert (again["added"], again["updated"], again["already_present"]) == (0, 0, 3)
    assert again["customers_created"] == []
    changed = GOOD.replace("Fleet 2,false", "Fleet two,true")
    report = (await _import(client, admin, changed)).json()
    assert (report["added"], report["updated"], report["already_present"]) == (0, 1, 2)
    token = next(t for t in await _tokens(client, admin) if t["uid"] == "12345678")
    assert token["nickname"] == "Fleet two" and token["whitelist"] is True


async def test_dry_run_reports_the_same_and_changes_nothing(client, admin):
    dry = await _import(client, admin, GOOD, dry_run=True)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert await _tokens(client, admin) == []
    assert (await client.get("/customers", headers=admin.headers)).json()["items"] == []
    real = await _import(client, admin, GOOD)
    assert {**dry.json(), "dry_run": False} == real.json()
    assert len(await _tokens(client, admin)) == 3
    assert len((await client.get("/customers", headers=admin.headers)).json()["items"]) == 2


async def test_semicolons_and_bom(client, admin):
    content = b"\xef\xbb\xbf" + GOOD.replace(",", ";").encode()
    response = await _import(client, admin, content)
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 3


async def test_a_bad_row_rolls_back_everything_and_every_bad_row_is_listed(client, admin):
    content = (
        GOOD
        + "NL-TNM-B99999-1,,,,,,,\n"  # a visible ID as uid
        + "87654321,,04AAAB11CD2399,,,,,\n"  # a chip UID as visual number
        + "11223344,,,CARD,,,,\n"
        + "55667788,,,,,,maybe,\n"
        + "99887766,,,,,,,next year\n"
    )
    response = await _import(client, admin, content)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and body["detail"]
    assert [e["line"] for e in body["errors"]] == [5, 6, 7, 8, 9]
    assert body["errors"][0]["value"] == "NL-TNM-B99999-1" and "visual_number" in body["errors"][0]["message"]
    assert "put it in uid" in body["errors"][1]["message"]
    assert body["errors"][2]["value"] == "CARD"
    assert await _tokens(client, admin) == []
    assert (await client.get("/customers", headers=admin.headers)).json()["items"] == []


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"", 1, "empty"),
        (HEADER.encode(), 1, "no rows"),
        (b"uid,colour\n0A1B2C3D,red\n", 1, "'colour'"),
        ("uid,nickname\n0A1B2C3D,Jos\u00e9\n".encode("latin-1"), 2, "UTF-8"),
        (b"uid\n0A1B2C3D\n0a1b2c3d\n", 3, "line 2"),
        (b"uid\n" + b"A" * 37 + b"\n", 2, "at most 36"),
        (b"uid,auth_id,nickname\n,,no identifiers\n", 2, "auth_id"),
        (b"uid\n=cmd\n", 2, "letters"),
        (b"uid,nickname\n0A1B2C3D,a,b\n", 2, "more cells"),
        (b"uid\r0A1B2C3D\r", 1, "not valid CSV"),
        (b"\xff\xfeu\x00i\x00d\x00\n\x00", 1, "UTF-16"),
    ],
    ids=[
        "empty",
        "header-only",
        "unknown-column",
        "latin-1",
        "duplicate-uid",
        "37-characters",
        "no-identifier",
        "formula-uid",
        "extra-cell",
        "bare-cr-line-ends",
        "utf-16",
    ],
)
async def test_bad_files(client, admin, content, line, words):
    for dry_run in (True, False):
        response = await _import(client, admin, content, dry_run=dry_run)
        assert response.status_code == 422, response.text
        errors = response.json()["errors"]
        assert errors[0]["line"] == line, errors
        assert words in errors[0]["message"], errors
    assert await _tokens(client, admin) == []


async def test_a_21_character_idtag_is_imported_with_a_warning(client, admin):
    response = await _import(client, admin, "uid\n" + "A1" * 10 + "B\n")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["added"] == 1 and report["warnings"][0]["line"] == 2
    assert "OCPP 1.6" in report["warnings"][0]["message"]


async def test_identifier_used_by_another_token_is_named(client, admin):
    existing = (await client.post("/tokens", json={"uid": "0A1B2C3D"}, headers=admin.headers)).json()
    errors = []
    for content in ("uid,auth_id\n12345678,0A1B2C3D\n", "uid,auth_id\n0A1B2C3D,NL-TNM-000122045-U\n"):
        response = await _import(client, admin, content)
        assert response.status_code == 422
        errors += response.json()["errors"]
    assert [e["line"] for e in errors] == [2, 2]
    assert all(existing["id"] in e["message"] for e in errors)
    assert "delete the token" in errors[1]["message"]


async def test_upload_size_limit(client, admin, settings):
    settings.import_max_bytes = 100
    response = await _import(client, admin, HEADER + "0A1B2C3D,,,,,,,\n" * 20)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"] and response.json()["limit_bytes"] == 100
    # Far over the limit: refused on the declared Content-Length, before the upload is read.
    huge = await _import(client, admin, HEADER + "0A1B2C3D,,,,,,,\n" * 5000)
    assert huge.status_code == 413
    assert await _tokens(client, admin) == []


async def test_writes_need_admin(client, admin, make_key):
    viewer = await make_key("Operator", role="viewer")
    assert (await _import(client, viewer, GOOD)).status_code == 403
    assert (await client.get("/tokens/export.csv", headers=viewer.headers)).status_code == 200


async def test_export_is_reimportable_and_neutralises_formulas(client, admin, make_key):
    content = GOOD + "ABCDEF12,,,APP,,=cmd|' /C calc'!A0,,\n" + "FEDCBA21,,,,,'=quoted,,\n"
    assert (await _import(client, admin, content)).status_code == 200
    body = {"auth_id": "NL-TNM-000722345-X", "type": "APP", "nickname": "'quoted"}
    assert (await client.post("/tokens", json=body, headers=admin.headers)).status_code == 201
    other = await make_key("Other operator")
    await client.post("/tokens", json={"uid": "99999999"}, headers=other.headers)
    response = await client.get("/tokens/export.csv", headers=admin.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 6 and "99999999" not in response.text
    by_uid = {r["uid"]: r for r in rows}
    assert by_uid["ABCDEF12"]["nickname"] == "'=cmd|' /C calc'!A0"  # a spreadsheet shows it as text
    assert by_uid["04AAAB11CD2345"]["customer_external_id"] == "CRM-1001"
    assert by_uid[""]["auth_id"] == "NL-TNM-000722345-X"
    before = {t["id"]: t for t in await _tokens(client, admin)}
    again = await _import(client, admin, response.content)
    assert again.status_code == 200, again.text
    assert (again.json()["already_present"], again.json()["added"], again.json()["updated"]) == (6, 0, 0)
    after = {t["id"]: t for t in await _tokens(client, admin)}
    assert after == before
    # A neutralised cell reads back as its value; a value that starts with a quote keeps it.
    assert {t["nickname"] for t in after.values()} >= {"=cmd|' /C calc'!A0", "=quoted", "'quoted"}


async def test_import_into_a_sub_organisation_and_tokens_out_of_reach(client, admin, make_key):
    child = await make_key("Parkside VvE", parent=admin)
    response = await _import(client, admin, "uid\n0A1B2C3D\n", organization_id=child.organization_id)
    assert response.status_code == 200, response.text
    assert [t["organization_id"] for t in await _tokens(client, child)] == [child.organization_id]
    # The operator's own pass is in the tree but out of the sub-organisation's reach: named, not changed.
    mine = (await client.post("/tokens", json={"uid": "12345678"}, headers=admin.headers)).json()
    refused = await _import(client, child, "uid,nickname\n12345678,taken over\n")
    assert refused.status_code == 422 and mine["id"] in refused.json()["errors"][0]["message"]
    assert (await client.get(f"/tokens/{mine['id']}", headers=admin.headers)).json()["nickname"] is None
    other = await make_key("Other operator")
    foreign = await _import(client, admin, "uid\n0A1B2C3D\n", organization_id=other.organization_id)
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "organization_id"


async def test_big_trees_are_looked_up_batch_by_batch(client, admin, monkeypatch):
    from chargedesk.tokens import bulk

    monkeypatch.setattr(bulk, "KNOWN_KEYS_MAX", 0)  # as for a tree too big to hold its keys in memory
    assert (await _import(client, admin, GOOD)).json()["added"] == 3
    again = (await _import(client, admin, GOOD.replace("Fleet 2", "Fleet two"))).json()
    assert (again["added"], again["updated"], again["already_present"]) == (0, 1, 2)
    clash = await _import(client, admin, "uid,auth_id\n87654321,0A1B2C3D\n")
    assert clash.status_code == 422 and "0A1B2C3D" in clash.json()["errors"][0]["message"]
