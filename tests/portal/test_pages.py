"""The portal over HTTP (no browser): sign-in, sessions, CSRF, organisation scoping and roles."""

from sqlalchemy import insert

from chargedesk.customers.models import Customer
from chargedesk.locations.models import LocationAuthorizedCustomer
from tests.factories import location_body
from tests.portal.helpers import PASSWORD, csrf_of, login, make_user


async def _location(client, admin, **overrides) -> dict:
    response = await client.post("/locations", json=location_body(**overrides), headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_login_sets_a_protected_session_cookie(db, web):
    await make_user(db, "Jane@Example.com")
    response = await login(web, "jane@example.COM")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    dashboard = await web.get("/")
    assert dashboard.status_code == 200 and "jane@example.com" in dashboard.text


async def test_wrong_password_is_refused_and_signs_nobody_in(db, web):
    await make_user(db, "jane@example.com")
    response = await login(web, "jane@example.com", "not the password")
    assert response.status_code == 401 and "Wrong email or password." in response.text
    unknown = await login(web, "nobody@example.com")
    assert unknown.status_code == 401 and "Wrong email or password." in unknown.text
    page = await web.get("/locations")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/locations"


async def test_login_goes_back_to_the_page_asked_for_but_never_off_site(db, web):
    await make_user(db, "jane@example.com")
    assert (await login(web, "jane@example.com", next="/stations")).headers["location"] == "/stations"
    assert (await login(web, "jane@example.com", next="//evil.example/")).headers["location"] == "/"


async def test_logout_ends_the_session(db, web):
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    page = await web.get("/")
    out = await web.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (await web.get("/")).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused(db, web, client, admin):
    await make_user(db, "jane@example.com")
    location = await _location(client, admin)
    page = await login(web, "jane@example.com")
    assert page.status_code == 303
    for headers, data in (({}, {}), ({}, {"csrf_token": "forged"}), ({"X-CSRF-Token": "forged"}, {})):
        refused = await web.post(f"/locations/{location['id']}/unpublish", data=data, headers=headers)
        assert refused.status_code == 403 and "security token" in refused.text
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()["published"] is True
    # The same request with the session's token (as htmx sends it, in a header) goes through.
    token = csrf_of((await web.get("/")).text)
    done = await web.post(f"/locations/{location['id']}/unpublish", headers={"X-CSRF-Token": token})
    assert done.status_code == 303
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()["published"] is False


async def test_login_itself_needs_the_csrf_token(db, web):
    await make_user(db, "jane@example.com")
    response = await web.post("/login", data={"email": "jane@example.com", "password": PASSWORD})
    assert response.status_code == 403


async def test_a_user_sees_only_their_organisation_tree(db, web, client, make_key):
    operator = await make_key("Operator")
    other = await make_key("Other Operator")
    mine = await _location(client, operator, name="Mine")
    theirs = await _location(client, other, name="Theirs")
    await make_user(db, "jane@example.com", "Operator")
    await login(web, "jane@example.com")
    listing = await web.get("/locations")
    assert "Mine" in listing.text and "Theirs" not in listing.text
    assert (await web.get(f"/locations/{mine['id']}")).status_code == 200
    for path in (
        f"/locations/{theirs['id']}",
        f"/locations/{theirs['id']}/edit",
        f"/organizations/{other.organization_id}",
    ):
        page = await web.get(path)
        assert page.status_code == 404, path
        assert "text/html" in page.headers["content-type"]


async def test_a_sub_organisation_user_does_not_see_the_parent(db, web, client, make_key):
    operator = await make_key("Operator")
    parent_location = await _location(client, operator, name="Parent site")
    await make_user(db, "vve@example.com", "Parkside", parent="Operator")
    await login(web, "vve@example.com")
    assert (await web.get(f"/locations/{parent_location['id']}")).status_code == 404


async def test_a_viewer_cannot_edit(db, web, client, make_key):
    operator = await make_key("Operator")
    location = await _location(client, operator)
    await make_user(db, "viewer@example.com", "Operator", role="viewer")
    await login(web, "viewer@example.com")
    page = await web.get(f"/locations/{location['id']}")
    assert page.status_code == 200 and "/edit" not in page.text
    assert (await web.get(f"/locations/{location['id']}/edit")).status_code == 403
    token = csrf_of(page.text)
    saved = await web.post(f"/locations/{location['id']}", data={"csrf_token": token, "name": "Renamed"})
    assert saved.status_code == 403 and "may not do this" in saved.text
    publish = await web.post(f"/locations/{location['id']}/unpublish", data={"csrf_token": token})
    assert publish.status_code == 403
    assert (await web.get("/stations/new")).status_code == 403
    assert (await client.get(f"/locations/{location['id']}", headers=operator.headers)).json()["name"] == location[
        "name"
    ]


async def test_edit_form_saves_every_field_through_the_service(db, web, client, admin):
    location = await _location(client, admin)
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    edit = await web.get(f"/locations/{location['id']}/edit")
    assert edit.status_code == 200 and 'name="maintenance.notes"' in edit.text
    form = {
        "csrf_token": csrf_of(edit.text),
        "organization_id": admin.organization_id,
        "name": "Station Square",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "country": "NLD",
        "coordinates.latitude": "52.3791",
        "coordinates.longitude": "4.9003",
        "custom_groups": "city-centre, fast ,",
        "remarks": "Gate code 1234",
        "maintenance.status": "scheduled",
        "maintenance.next_visit": "2026-12-01",
        "opening_times.regular_hours": "Mon 08:00-18:00\nsat 10:00-14:00",
        "facilities": ["CAFE", "WIFI"],
        "operator.name": "Demo Operator",
    }
    saved = await web.post(
        f"/locations/{location['id']}", data=form, headers={"HX-Request": "true", "HX-Target": "location"}
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    api = (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()
    assert api["custom_groups"] == ["city-centre", "fast"]
    assert api["maintenance"] == {"status": "scheduled", "notes": None, "last_visit": None, "next_visit": "2026-12-01"}
    assert api["opening_times"]["twentyfourseven"] is False
    assert [h["weekday"] for h in api["opening_times"]["regular_hours"]] == [1, 6]
    assert api["facilities"] == ["CAFE", "WIFI"] and api["operator"]["name"] == "Demo Operator"


async def test_form_errors_appear_next_to_their_field(db, web, client, admin):
    location = await _location(client, admin)
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    token = csrf_of((await web.get("/")).text)
    form = {
        "csrf_token": token,
        "name": "Station Square",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "country": "XX",
        "coordinates.latitude": "95",
        "coordinates.longitude": "4.9",
    }
    bad = await web.post(f"/locations/{location['id']}", data=form)
    assert bad.status_code == 422
    assert 'id="f-country-error"' in bad.text and "alpha-3" in bad.text
    assert 'id="f-coordinates-latitude-error"' in bad.text
    hours = await web.post(
        f"/locations/{location['id']}",
        data=form | {"country": "NLD", "coordinates.latitude": "52", "opening_times.regular_hours": "Mo 8-"},
    )
    assert (
        hours.status_code == 422 and 'id="f-opening_times-regular_hours-error"' in hours.text and "line 1" in hours.text
    )


async def test_publishing_a_private_location_shows_the_refusal(db, web, client, admin):
    location = await _location(client, admin, published=False)
    async with db.sessionmaker() as session:
        session.add(Customer(id="cus_1", organization_id=admin.organization_id, name="Ada", search_text="ada"))
        await session.flush()
        await session.execute(
            insert(LocationAuthorizedCustomer).values(location_id=location["id"], customer_id="cus_1")
        )
        await session.commit()
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    page = await web.get(f"/locations/{location['id']}")
    assert "Private" in page.text
    refused = await web.post(
        f"/locations/{location['id']}/publish",
        headers={"X-CSRF-Token": csrf_of(page.text), "HX-Request": "true", "HX-Target": "location"},
    )
    assert refused.status_code == 409 and "remove every customer and charge token" in refused.text
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).json()["published"] is False


async def test_location_list_filters_and_paginates(db, web, client, admin):
    for n in range(27):
        await _location(client, admin, name=f"Site {n:02}", custom_groups=["fast"] if n % 2 else ["slow"])
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    first = await web.get("/locations", params={"custom_group": "fast"})
    assert first.text.count('href="/locations/loc_') == 13 and "Next page" not in first.text
    page = await web.get("/locations", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in page.text and page.text.count('href="/locations/loc_') == 25 and "Next page" in page.text
    search = await web.get("/locations", params={"q": "site 07"})
    assert search.text.count('href="/locations/loc_') == 1
