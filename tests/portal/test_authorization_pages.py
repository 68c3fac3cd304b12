"""The location page's Authorization and Audit tabs over HTTP: changes, the import's preview and finalise,
roles (403), other organisations (404), CSRF, and the stations hearing of every committed change."""

import httpx
import pytest

from chargedesk.app import create_app
from chargedesk.locations import events
from chargedesk.portal import pending
from tests.factories import location_body
from tests.portal.helpers import csrf_of, login, make_user

HTMX = {"HX-Request": "true", "HX-Target": "location"}


async def _location(client, caller, **overrides) -> dict:
    response = await client.post("/locations", json=location_body(**overrides), headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _customer(client, caller, name: str, external_id: str | None = None) -> dict:
    body = {"name": name, "external_id": external_id}
    response = await client.post("/customers", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _token(client, caller, **body) -> dict:
    response = await client.post("/tokens", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _list(client, caller, location_id: str) -> dict:
    return (await client.get(f"/locations/{location_id}/authorization", headers=caller.headers)).json()


async def _signed_in(db, web, email: str = "jane@example.com", org: str = "Operator", role: str = "admin") -> str:
    await make_user(db, email, org, role=role)
    await login(web, email)
    return csrf_of((await web.get("/")).text)


async def test_add_a_customer_makes_the_location_private_and_unpublished(db, web, client, admin):
    location = await _location(client, admin)
    ada = await _customer(client, admin, "Ada Lovelace", "CRM-1001")
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization"
    tab = await web.get(f"{base}/customers?add=1")
    assert tab.status_code == 200 and "Authorised customers &amp; charge tokens" in tab.text
    assert "Search by customer name or external ID" in tab.text
    for q in ("ada", "crm-10"):
        found = await web.get(f"{base}/customers/search", params={"q": q}, headers={**HTMX, "HX-Target": "auth-search"})
        assert "<html" not in found.text and "Ada Lovelace" in found.text, q
    added = await web.post(f"{base}/customers", data={"csrf_token": token, "customer_id": ada["id"]}, headers=HTMX)
    assert added.status_code == 200 and "Added Ada Lovelace" in added.text
    assert "Private" in added.text and "Unpublished" in added.text and "On the list" in added.text
    assert added.headers["HX-Push-Url"] == f"{base}/customers"
    listed = await _list(client, admin, location["id"])
    assert listed["private"] is True and listed["published"] is False
    assert [c["id"] for c in listed["customers"]] == [ada["id"]]
    again = await web.get(f"{base}/customers/search", params={"q": "ada"}, headers={**HTMX, "HX-Target": "auth-search"})
    assert "On the list" in again.text
    # The arrow next to Remove leads to the customer's page.
    assert f'href="/customers/{ada["id"]}"' in (await web.get(f"{base}/customers")).text


async def test_tokens_by_chip_id_external_auth_id_and_removals(db, web, client, admin):
    location = await _location(client, admin)
    known = await _token(client, admin, uid="04AAAB11CD2345")
    other = await _token(client, admin, uid="04BBCC22DD3456")
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization"
    search = {**HTMX, "HX-Target": "auth-search"}
    found = await web.get(f"{base}/tokens/search", params={"q": "04aaab"}, headers=search)
    assert "04AAAB11CD2345" in found.text and "04BBCC22DD3456" not in found.text
    exact = await web.get(f"{base}/tokens/search", params={"q": "04aaab11cd2345"}, headers=search)
    assert "04AAAB11CD2345" in exact.text and "Add external token" not in exact.text
    await web.post(f"{base}/tokens", data={"csrf_token": token, "token_id": known["id"]}, headers=HTMX)
    await web.post(f"{base}/tokens", data={"csrf_token": token, "token_id": other["id"]}, headers=HTMX)
    unknown = await web.get(
        f"{base}/tokens/search", params={"q": "DE-8EO-C12345678"}, headers=HTMX | {"HX-Target": "auth-search"}
    )
    assert "Add external token" in unknown.text
    external = await web.post(f"{base}/tokens", data={"csrf_token": token, "auth_id": "DE-8EO-C12345678"}, headers=HTMX)
    assert external.status_code == 200 and "Added external token DE-8EO-C12345678" in external.text
    bad = await web.post(f"{base}/tokens", data={"csrf_token": token, "auth_id": "NL-TNM-000122045-X"}, headers=HTMX)
    assert bad.status_code == 422 and 'id="f-auth-q-error"' in bad.text and "check digit" in bad.text
    listed = await _list(client, admin, location["id"])
    assert listed["token_count"] == 3 and any(t["external"] for t in listed["tokens"])

    selected = await web.post(
        f"{base}/tokens/remove", data={"csrf_token": token, "token_ids": [known["id"], other["id"]]}, headers=HTMX
    )
    assert selected.status_code == 200 and "Removed 2 charge tokens" in selected.text
    nothing = await web.post(f"{base}/tokens/remove", data={"csrf_token": token}, headers=HTMX)
    assert nothing.status_code == 422 and "Select the charge tokens to remove" in nothing.text
    everything = await web.post(f"{base}/tokens/remove-all", data={"csrf_token": token}, headers=HTMX)
    assert "Removed 1 charge token." in everything.text and "the location is public" in everything.text
    listed = await _list(client, admin, location["id"])
    assert listed["private"] is False and listed["published"] is False


async def test_single_remove_and_remove_all_customers_without_htmx(db, web, client, admin):
    location = await _location(client, admin)
    ada = await _customer(client, admin, "Ada")
    bob = await _customer(client, admin, "Bob")
    cy = await _customer(client, admin, "Cy")
    await client.post(
        f"/locations/{location['id']}/authorization/customers",
        json={"customer_ids": [ada["id"], bob["id"], cy["id"]]},
        headers=admin.headers,
    )
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization/customers"
    one = await web.post(f"{base}/{ada['id']}/remove", data={"csrf_token": token})
    assert one.status_code == 303 and one.headers["location"] == base
    assert (await _list(client, admin, location["id"]))["customer_count"] == 2
    gone = await web.post(f"{base}/{ada['id']}/remove", data={"csrf_token": token})
    assert gone.status_code == 404
    rest = await web.post(f"{base}/remove-all", data={"csrf_token": token})
    assert rest.status_code == 303 and (await _list(client, admin, location["id"]))["customer_count"] == 0


async def test_import_preview_then_finalise_with_clear(db, web, client, admin):
    location = await _location(client, admin)
    old = await _token(client, admin, uid="04000000000001")
    kept = await _token(client, admin, uid="04AAAB11CD2345")
    await client.post(
        f"/locations/{location['id']}/authorization/tokens",
        json={"token_ids": [old["id"], kept["id"]]},
        headers=admin.headers,
    )
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization/tokens/import"
    form = await web.get(base)
    assert "Clear charge token list before importing" in form.text and "Token importer example file" in form.text
    csv = b"auth_id,uid\n,04aaab11cd2345\nDE-8EO-C12345678,\n"
    preview = await web.post(
        base, data={"csrf_token": token, "clear": "on"}, files={"file": ("list.csv", csv, "text/csv")}, headers=HTMX
    )
    assert preview.status_code == 200 and "Finalise import" in preview.text
    waiting = len(list(pending._directory().glob("*.csv")))
    assert waiting >= 1
    assert [preview.text.count(f"<strong>{n}</strong>{label}") for n, label in
            ((2, "rows"), (1, "to add"), (1, "already on the list"), (1, "new external tokens"),
             (1, "removed by clearing"))] == [1] * 5  # fmt: skip
    assert (await _list(client, admin, location["id"]))["token_count"] == 2  # nothing changed yet
    upload_id = preview.text.split(f"{base}/")[1].split("/finalise")[0]
    done = await web.post(f"{base}/{upload_id}/finalise", data={"csrf_token": token}, headers=HTMX)
    assert done.status_code == 200 and "1 added, 1 already on the list" in done.text
    assert "1 removed by clearing the list" in done.text
    listed = await _list(client, admin, location["id"])
    assert sorted(t["auth_id"] for t in listed["tokens"]) == ["04AAAB11CD2345", "DE-8EO-C12345678"]
    again = await web.post(f"{base}/{upload_id}/finalise", data={"csrf_token": token}, headers=HTMX)
    assert again.status_code == 409 and "no longer waiting" in again.text
    assert len(list(pending._directory().glob("*.csv"))) == waiting - 1, "the finalised file is deleted"


async def test_import_errors_are_listed_per_line_and_cannot_be_finalised(db, web, client, admin):
    location = await _location(client, admin)
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization/tokens/import"
    csv = b"auth_id\nNL-TNM-000122045-X\nok-1\nok-1\n"
    preview = await web.post(base, data={"csrf_token": token}, files={"file": ("bad.csv", csv)}, headers=HTMX)
    assert preview.status_code == 422 and "Finalise import" not in preview.text
    assert "2 problems in bad.csv" in preview.text and "check digit" in preview.text and "line 3" in preview.text
    missing = await web.post(base, data={"csrf_token": token}, headers=HTMX)
    assert missing.status_code == 422 and "Choose the CSV file" in missing.text
    assert (await _list(client, admin, location["id"]))["token_count"] == 0


async def test_the_example_file_imports_cleanly(db, web, client, admin):
    location = await _location(client, admin)
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization/tokens/import"
    example = await web.get(f"{base}/example.csv")
    assert example.status_code == 200 and example.headers["content-type"].startswith("text/csv")
    assert "attachment" in example.headers["content-disposition"]
    preview = await web.post(base, data={"csrf_token": token}, files={"file": ("e.csv", example.content)}, headers=HTMX)
    assert preview.status_code == 200 and "Finalise import" in preview.text


async def test_another_session_cannot_finalise_an_upload(db, web, client, admin, settings):
    location = await _location(client, admin)
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization/tokens/import"
    preview = await web.post(
        base, data={"csrf_token": token}, files={"file": ("a.csv", b"auth_id\nX-1\n")}, headers=HTMX
    )
    upload_id = preview.text.split(f"{base}/")[1].split("/finalise")[0]
    transport = httpx.ASGITransport(app=create_app(settings, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        other_token = await _signed_in(db, other, "bob@example.com")
        stolen = await other.post(f"{base}/{upload_id}/finalise", data={"csrf_token": other_token}, headers=HTMX)
    assert stolen.status_code == 409
    assert (await _list(client, admin, location["id"]))["token_count"] == 0


@pytest.mark.parametrize("role", ["viewer", "installer"])
async def test_read_only_roles_see_the_list_and_get_403(db, web, client, make_key, role):
    operator = await make_key("Operator")
    location = await _location(client, operator)
    ada = await _customer(client, operator, "Ada Lovelace")
    await client.post(
        f"/locations/{location['id']}/authorization/customers",
        json={"customer_ids": [ada["id"]]},
        headers=operator.headers,
    )
    token = await _signed_in(db, web, f"{role}@example.com", role=role)
    base = f"/locations/{location['id']}/authorization"
    page = await web.get(f"{base}/customers")
    assert page.status_code == 200 and "Ada Lovelace" in page.text
    assert (
        "Add customers" not in page.text
        and "Remove all customers" not in page.text
        and 'type="checkbox"' not in page.text
    )
    assert (await web.get(f"{base}/tokens/import")).status_code == 403
    assert (await web.get(f"{base}/customers/search", params={"q": "ada"})).status_code == 403
    posts = {
        f"{base}/customers": {"customer_id": ada["id"]},
        f"{base}/customers/remove": {"customer_ids": ada["id"]},
        f"{base}/customers/remove-all": {},
        f"{base}/customers/{ada['id']}/remove": {},
        f"{base}/tokens": {"auth_id": "X-1"},
        f"{base}/tokens/remove-all": {},
        f"{base}/tokens/import/anything/finalise": {},
    }
    for path, data in posts.items():
        refused = await web.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 403 and "may not do this" in refused.text, path
    refused = await web.post(
        f"{base}/tokens/import", data={"csrf_token": token}, files={"file": ("a.csv", b"auth_id\nX-1\n")}
    )
    assert refused.status_code == 403
    assert (await _list(client, operator, location["id"]))["customer_count"] == 1


async def test_a_location_manager_may_change_the_list(db, web, client, make_key):
    operator = await make_key("Operator")
    location = await _location(client, operator)
    token = await _signed_in(db, web, "lm@example.com", role="location_manager")
    added = await web.post(
        f"/locations/{location['id']}/authorization/tokens", data={"csrf_token": token, "auth_id": "X-1"}
    )
    assert added.status_code == 303
    assert (await _list(client, operator, location["id"]))["token_count"] == 1


async def test_another_organisations_location_is_404(db, web, client, make_key):
    other = await make_key("Other Operator")
    theirs = await _location(client, other)
    ada = await _customer(client, other, "Ada")
    await make_key("Operator")
    token = await _signed_in(db, web)
    base = f"/locations/{theirs['id']}"
    for path in ("/authorization", "/authorization/customers", "/authorization/tokens?add=1", "/audit",
                 "/authorization/tokens/search?q=x", "/authorization/tokens/import"):  # fmt: skip
        page = await web.get(base + path)
        assert page.status_code == 404 and "text/html" in page.headers["content-type"], path
    for path, data in ((f"{base}/authorization/customers", {"customer_id": ada["id"]}),
                       (f"{base}/authorization/tokens", {"auth_id": "X-1"}),
                       (f"{base}/authorization/customers/remove-all", {}),
                       (f"{base}/authorization/tokens/import/x/finalise", {})):  # fmt: skip
        assert (await web.post(path, data={"csrf_token": token, **data})).status_code == 404, path
    assert (await _list(client, other, theirs["id"]))["customer_count"] == 0


async def test_changes_need_the_csrf_token(db, web, client, admin):
    location = await _location(client, admin)
    ada = await _customer(client, admin, "Ada")
    await _signed_in(db, web)
    base = f"/locations/{location['id']}/authorization"
    for headers, data in (({}, {}), ({}, {"csrf_token": "forged"}), ({"X-CSRF-Token": "forged"}, {})):
        refused = await web.post(f"{base}/customers", data={"customer_id": ada["id"], **data}, headers=headers)
        assert refused.status_code == 403 and "security token" in refused.text
    upload = await web.post(f"{base}/tokens/import", files={"file": ("a.csv", b"auth_id\nX-1\n")})
    assert upload.status_code == 403
    assert (await _list(client, admin, location["id"]))["private"] is False


async def test_stations_hear_of_every_committed_change(db, client, admin, settings):
    heard: list[tuple[str, bool]] = []

    async def listener(location_id: str, removed: bool) -> None:
        heard.append((location_id, removed))

    app = create_app(settings, db=db)
    events.listen(app, listener)
    location = await _location(client, admin)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as web:
        token = await _signed_in(db, web)
        base = f"/locations/{location['id']}/authorization/tokens"
        await web.post(base, data={"csrf_token": token, "auth_id": "X-1"}, headers=HTMX)
        await web.post(base, data={"csrf_token": token, "auth_id": "X-1"}, headers=HTMX)  # already there: no news
        await web.post(f"{base}/remove-all", data={"csrf_token": token}, headers=HTMX)
        preview = await web.post(
            f"{base}/import", data={"csrf_token": token}, files={"file": ("a.csv", b"auth_id\nX-2\n")}, headers=HTMX
        )
        upload_id = preview.text.split(f"{base}/import/")[1].split("/finalise")[0]
        await web.post(f"{base}/import/{upload_id}/finalise", data={"csrf_token": token}, headers=HTMX)
    assert heard == [(location["id"], False), (location["id"], True), (location["id"], False)]


async def test_audit_tab_newest_first_with_who_and_what(db, web, client, admin):
    location = await _location(client, admin)
    ada = await _customer(client, admin, "Ada Lovelace")
    token = await _signed_in(db, web)
    base = f"/locations/{location['id']}"
    await web.post(
        f"{base}/authorization/customers", data={"csrf_token": token, "customer_id": ada["id"]}, headers=HTMX
    )
    await web.post(f"{base}/authorization/tokens", data={"csrf_token": token, "auth_id": "X-1"}, headers=HTMX)
    await client.delete(f"{base}/authorization/customers/{ada['id']}", headers=admin.headers)
    audit = await web.get(f"{base}/audit")
    assert audit.status_code == 200
    text = audit.text
    assert text.index("Removed customers") < text.index("Added charge tokens") < text.index("Added customers")
    assert "jane@example.com" in text and "Added: Ada Lovelace" in text and "Added: X-1" in text
    assert "API key" in text  # the API key's change is named by its prefix


async def test_a_file_over_the_upload_limit_is_refused_next_to_the_field(db, client, admin, settings):
    location = await _location(client, admin)
    app = create_app(settings.model_copy(update={"import_max_bytes": 64}), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as web:
        token = await _signed_in(db, web)
        base = f"/locations/{location['id']}/authorization/tokens/import"
        big = b"auth_id\n" + b"".join(f"X-{n}\n".encode() for n in range(100))
        refused = await web.post(base, data={"csrf_token": token}, files={"file": ("big.csv", big)}, headers=HTMX)
    assert refused.status_code == 413 and 'id="f-import-file-error"' in refused.text and "import limit" in refused.text
    assert (await _list(client, admin, location["id"]))["token_count"] == 0
