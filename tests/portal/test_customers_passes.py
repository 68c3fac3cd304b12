"""Customers and passes pages over HTTP: scoping, roles, CSRF, the inline identifier checks and the import."""

import re

from tests.portal.helpers import csrf_of, login, make_user


async def _customer(client, caller, **fields) -> dict:
    response = await client.post("/customers", json={"name": "Ada Jansen", **fields}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _token(client, caller, **fields) -> dict:
    response = await client.post("/tokens", json=fields, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _signed_in(db, web, role: str = "admin") -> str:
    await make_user(db, f"{role}@example.com", "Operator", role=role)
    await login(web, f"{role}@example.com")
    return csrf_of((await web.get("/")).text)


async def test_another_organisations_customer_and_pass_are_not_found(db, web, client, admin, make_key):
    other = await make_key("Other Operator")
    theirs = await _customer(client, other, name="Their customer")
    token = await _token(client, other, uid="04AAAB11CD2345", customer_id=theirs["id"])
    csrf = await _signed_in(db, web)
    for path in (
        f"/customers/{theirs['id']}",
        f"/customers/{theirs['id']}/edit",
        f"/passes/new?customer_id={theirs['id']}",
        f"/passes/{token['id']}",
        f"/passes/{token['id']}/edit",
    ):
        assert (await web.get(path)).status_code == 404, path
    for path, data in (
        (f"/customers/{theirs['id']}", {"name": "Mine now"}),
        (f"/customers/{theirs['id']}/delete", {"cascade": "yes"}),
        ("/passes", {"customer_id": theirs["id"], "mode": "uid", "uid": "04AAAB11CD9999"}),
        (f"/passes/{token['id']}", {"nickname": "Mine now", "type": "RFID", "status": "active"}),
        (f"/passes/{token['id']}/delete", {}),
    ):
        assert (await web.post(path, data={"csrf_token": csrf, **data})).status_code == 404, path
    listed = await web.get("/customers?q=their")
    assert "Their customer" not in listed.text
    assert "04AAAB11CD2345" not in (await web.get("/passes")).text
    assert "04AAAB11CD2345" not in (await web.get("/passes/export.csv")).text
    still = await client.get(f"/tokens/{token['id']}", headers=other.headers)
    assert still.status_code == 200 and still.json()["nickname"] is None


async def test_a_viewer_sees_passes_but_cannot_add_edit_or_delete_them(db, web, client, admin):
    customer = await _customer(client, admin)
    token = await _token(client, admin, uid="04AAAB11CD2345", customer_id=customer["id"])
    csrf = await _signed_in(db, web, role="viewer")
    page = await web.get(f"/customers/{customer['id']}")
    assert page.status_code == 200 and "04AAAB11CD2345" in page.text and "+ Add pass" not in page.text
    assert (await web.get(f"/passes/new?customer_id={customer['id']}")).status_code == 403
    assert (await web.get("/passes/import")).status_code == 403
    body = {"csrf_token": csrf, "customer_id": customer["id"], "mode": "uid", "uid": "04AAAB11CD9999"}
    refused = await web.post("/passes", data=body)
    assert refused.status_code == 403 and "may not" in refused.text
    assert (await web.post(f"/passes/{token['id']}/delete", data={"csrf_token": csrf})).status_code == 403
    assert (await web.post("/customers", data={"csrf_token": csrf, "name": "New"})).status_code == 403
    listed = await client.get(f"/tokens?customer_id={customer['id']}", headers=admin.headers)
    assert [t["uid"] for t in listed.json()["items"]] == ["04AAAB11CD2345"]


async def test_pass_forms_need_the_csrf_token(db, web, client, admin):
    customer = await _customer(client, admin)
    token = await _token(client, admin, uid="04AAAB11CD2345", customer_id=customer["id"])
    await _signed_in(db, web)
    body = {"customer_id": customer["id"], "mode": "uid", "uid": "04AAAB11CD9999"}
    for path, data in (
        ("/passes", body),
        ("/passes", {**body, "csrf_token": "forged"}),
        (f"/passes/{token['id']}/delete", {}),
        (f"/customers/{customer['id']}/delete", {"cascade": "yes"}),
    ):
        refused = await web.post(path, data=data)
        assert refused.status_code == 403 and "security token" in refused.text, path
    files = {"file": ("t.csv", b"uid\n04AAAB11CD7777\n", "text/csv")}
    assert (await web.post("/passes/import", files=files)).status_code == 403
    listed = await client.get("/tokens", headers=admin.headers)
    assert [t["uid"] for t in listed.json()["items"]] == ["04AAAB11CD2345"]


async def test_the_inline_checks_catch_both_classic_mistakes(db, web):
    await _signed_in(db, web)
    hidden = await web.get("/passes/check/uid", params={"uid": "NL-TNM-B12345-6"})
    assert hidden.status_code == 200 and "looks like a visible ID" in hidden.text and "Public Card ID" in hidden.text
    visible = await web.get("/passes/check/visual_number", params={"visual_number": "04aaab11cd2345"})
    assert "looks like a chip UID" in visible.text and "Hidden ID" in visible.text
    assert 'role="alert"' not in (await web.get("/passes/check/uid", params={"uid": "04AAAB11CD2345"})).text
    odd = await web.get("/passes/check/uid", params={"uid": "ABC123"})
    assert 'role="alert"' not in odd.text and "not 8, 14 or 20 hex" in odd.text
    emaid = await web.get("/passes/check/auth_id", params={"auth_id": "NL-TNM-000122045-X"})
    assert "check digit" in emaid.text
    assert (await web.get("/passes/check/nickname", params={"nickname": "x"})).status_code == 404


async def test_the_inline_check_says_when_an_identifier_is_taken(db, web, client, admin):
    token = await _token(client, admin, uid="04AAAB11CD2345", auth_id="NL-TNM-000122045-U")
    await _signed_in(db, web)
    for name, value in (("uid", "04aaab11cd2345"), ("auth_id", "nl-tnm-000122045-u"), ("auth_id", "04AAAB11CD2345")):
        taken = await web.get(f"/passes/check/{name}", params={name: value})
        assert "already used" in taken.text and token["id"] in taken.text, (name, value)
    free = await web.get("/passes/check/uid", params={"uid": "04AAAB11CD9999"})
    assert 'role="alert"' not in free.text


async def test_adding_passes_by_either_id_with_the_mistakes_refused_next_to_the_field(db, web, client, admin):
    customer = await _customer(client, admin)
    csrf = await _signed_in(db, web)
    base = {"csrf_token": csrf, "customer_id": customer["id"], "nickname": "Car"}
    wrong = await web.post("/passes", data={**base, "mode": "uid", "uid": "NL-TNM-B12345-6"})
    assert wrong.status_code == 422 and re.search(r'id="f-uid-check".*looks like a visible ID', wrong.text, re.S)
    wrong = await web.post("/passes", data={**base, "mode": "visual", "visual_number": "04AAAB11CD2345"})
    assert wrong.status_code == 422 and re.search(
        r'id="f-visual_number-check".*looks like a chip UID', wrong.text, re.S
    )
    ok = await web.post("/passes", data={**base, "mode": "visual", "visual_number": "nl-tnm-b12345-6", "uid": "x"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/customers/{customer['id']}"
    ok = await web.post("/passes", data={**base, "mode": "uid", "uid": "04aaab11cd2345", "whitelist": "on"})
    assert ok.status_code == 303
    taken = await web.post("/passes", data={**base, "mode": "uid", "uid": "04AAAB11CD2345"})
    assert taken.status_code == 422 and re.search(r'id="f-uid-check".*already used', taken.text, re.S)
    items = (await client.get(f"/tokens?customer_id={customer['id']}", headers=admin.headers)).json()["items"]
    got = sorted(((t["uid"], t["auth_id"], t["visual_number"], t["whitelist"]) for t in items), key=str)
    assert got == [
        ("04AAAB11CD2345", "04AAAB11CD2345", None, True),
        (None, "NL-TNM-B12345-6", "NL-TNM-B12345-6", False),
    ]


async def test_deleting_a_customer_with_passes_asks_about_them(db, web, client, admin):
    customer = await _customer(client, admin)
    await _token(client, admin, uid="04AAAB11CD2345", customer_id=customer["id"])
    csrf = await _signed_in(db, web)
    page = await web.get(f"/customers/{customer['id']}")
    assert "holds 1 pass(es)" in page.text and "Delete with 1 pass(es)" in page.text
    kept = await web.post(f"/customers/{customer['id']}/delete", data={"csrf_token": csrf})
    assert kept.status_code == 409 and "now holds passes" in kept.text
    gone = await web.post(f"/customers/{customer['id']}/delete", data={"csrf_token": csrf, "cascade": "yes"})
    assert gone.status_code == 303 and gone.headers["location"] == "/customers"
    assert (await client.get("/tokens", headers=admin.headers)).json()["items"] == []


async def test_an_import_is_finalised_only_by_the_session_that_uploaded_it(db, web, client, admin, settings):
    csrf = await _signed_in(db, web)
    example = await web.get("/passes/import/example.csv")
    assert example.status_code == 200 and example.text.startswith("uid,auth_id,visual_number")
    preview = await web.post(
        "/passes/import", data={"csrf_token": csrf}, files={"file": ("p.csv", example.content, "text/csv")}
    )
    assert preview.status_code == 200 and "Finalise import" in preview.text, preview.text
    upload_id = re.search(r"/passes/import/([\w-]+)/finalise", preview.text).group(1)
    assert (await client.get("/tokens", headers=admin.headers)).json()["items"] == []

    # Another user of the same organisation cannot finalise it, even knowing the id.
    from httpx import ASGITransport, AsyncClient

    from chargedesk.app import create_app

    await make_user(db, "colleague@example.com", "Operator")
    async with AsyncClient(transport=ASGITransport(app=create_app(settings, db=db)), base_url="http://t") as other:
        await login(other, "colleague@example.com")
        their_csrf = csrf_of((await other.get("/")).text)
        refused = await other.post(f"/passes/import/{upload_id}/finalise", data={"csrf_token": their_csrf})
        assert refused.status_code == 409
    assert (await client.get("/tokens", headers=admin.headers)).json()["items"] == []

    done = await web.post(f"/passes/import/{upload_id}/finalise", data={"csrf_token": csrf})
    assert done.status_code == 200 and "3 added" in done.text
    again = await web.post(f"/passes/import/{upload_id}/finalise", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert len((await client.get("/tokens", headers=admin.headers)).json()["items"]) == 3
    exported = await web.get("/passes/export.csv")
    assert exported.status_code == 200 and "04BBCC22DD3456" in exported.text


async def test_the_whitelist_box_starts_as_the_organisations_default(db, web, client, admin):
    customer = await _customer(client, admin)
    await _signed_in(db, web)
    checked = re.compile(r'id="f-whitelist"[^>]*checked')
    assert not checked.search((await web.get(f"/passes/new?customer_id={customer['id']}")).text)
    patched = await client.patch(
        f"/organizations/{admin.organization_id}", json={"default_whitelist": True}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    assert checked.search((await web.get(f"/passes/new?customer_id={customer['id']}")).text)


async def test_long_lists_of_customers_and_passes_paginate(db, web, client, admin):
    holder = await _customer(client, admin, name="Big Fleet")
    for n in range(26):
        await _customer(client, admin, name=f"Customer {n:02}")
        await _token(client, admin, uid=f"04AAAB11CD{n:04}", customer_id=holder["id"])
    await _signed_in(db, web)
    for path, region, marker in (
        ("/customers", "results", "Customer "),
        ("/passes", "results", "04AAAB11CD"),
        (f"/customers/{holder['id']}", "customer", "04AAAB11CD"),
    ):
        first = await web.get(path)
        link = re.search(r'rel="next" href="([^"]+)"', first.text)
        assert link, path
        second = await web.get(link.group(1).replace("&amp;", "&"), headers={"HX-Request": "true", "HX-Target": region})
        assert second.status_code == 200 and "<html" not in second.text
        seen = first.text.count(marker) + second.text.count(marker)
        assert seen >= 26 and 'rel="next"' not in second.text, path


async def test_add_pass_from_the_passes_list_starts_by_choosing_the_customer(db, web, client, admin):
    customer = await _customer(client, admin, name="Quay Rentals")
    await _signed_in(db, web)
    start = await web.get("/passes/new")
    assert start.status_code == 303 and start.headers["location"] == "/customers?choose=pass"
    chooser = await web.get(start.headers["location"])
    assert "Choose the customer who holds the pass" in chooser.text
    assert f'href="/passes/new?customer_id={customer["id"]}"' in chooser.text
