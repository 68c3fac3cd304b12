"""The portal over HTTP: stations, organisations, sessions that end, and `chargedesk user create`."""

import re

from typer.testing import CliRunner

from chargedesk.cli import app as cli
from chargedesk.portal import session as portal_session
from chargedesk.portal import users
from tests.factories import location_body, station_body
from tests.portal.helpers import csrf_of, login, make_user

HTMX = {"HX-Request": "true"}


async def test_station_form_creates_edits_and_links(db, web, client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    token = csrf_of((await web.get("/stations/new")).text)
    form = {
        "csrf_token": token,
        "id": "CP-PORTAL-1",
        "access_mode": "whitelist",
        "availability": "operative",
        "evses": "1 1 IEC_62196_T2 SOCKET AC_3_PHASE 400 32 22000\n1 2 IEC_62196_T2 CABLE AC_3_PHASE 400 16",
        "configuration": "HeartbeatInterval=60\nMeterValueSampleInterval = 30",
        "custom_groups": "north",
    }
    created = await web.post("/stations", data=form)
    assert created.status_code == 303 and created.headers["location"] == "/stations/CP-PORTAL-1"
    api = (await client.get("/charge-stations/CP-PORTAL-1", headers=admin.headers)).json()
    assert api["access_mode"] == "whitelist" and api["location_id"] is None
    assert [c["id"] for c in api["evses"][0]["connectors"]] == [1, 2]
    assert api["configuration"] == {"HeartbeatInterval": "60", "MeterValueSampleInterval": "30"}
    edit = await web.get("/stations/CP-PORTAL-1/edit")
    assert "1 2 IEC_62196_T2 CABLE AC_3_PHASE 400 16" in edit.text
    linked = await web.post(
        "/stations/CP-PORTAL-1/location",
        data={"csrf_token": token, "location_id": location["id"]},
        headers=HTMX | {"HX-Target": "station"},
    )
    assert linked.status_code == 200 and "Linked to the location." in linked.text
    tab = await web.get(f"/locations/{location['id']}/stations")
    assert "CP-PORTAL-1" in tab.text and "Offline" in tab.text


async def test_station_form_reports_a_duplicate_id(db, web, client, admin):
    await client.post("/charge-stations", json=station_body("CP-1"), headers=admin.headers)
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    token = csrf_of((await web.get("/stations/new")).text)
    again = await web.post("/stations", data={"csrf_token": token, "id": "CP-1"})
    assert again.status_code == 422 and "exists already" in again.text


async def test_an_installer_may_link_but_not_edit(db, web, client, make_key):
    operator = await make_key("Operator")
    location = (await client.post("/locations", json=location_body(), headers=operator.headers)).json()
    await client.post("/charge-stations", json=station_body("CP-1"), headers=operator.headers)
    await make_user(db, "installer@example.com", "Operator", role="installer")
    await login(web, "installer@example.com")
    page = await web.get("/stations/CP-1")
    assert "Link to location" in page.text and "/stations/CP-1/edit" not in page.text
    token = csrf_of(page.text)
    assert (await web.post("/stations/CP-1", data={"csrf_token": token})).status_code == 403
    linked = await web.post("/stations/CP-1/location", data={"csrf_token": token, "location_id": location["id"]})
    assert linked.status_code == 303
    assert (await client.get("/charge-stations/CP-1", headers=operator.headers)).json()["location_id"] == location["id"]


async def test_sub_organisation_and_passes_settings(db, web, client, admin):
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    token = csrf_of((await web.get("/organizations")).text)
    created = await web.post("/organizations", data={"csrf_token": token, "name": "Parkside"})
    assert created.status_code == 303
    org_id = created.headers["location"].rsplit("/", 1)[1]
    saved = await web.post(f"/organizations/{org_id}/passes", data={"csrf_token": token, "default_whitelist": "on"})
    assert saved.status_code == 303
    org = (await client.get(f"/organizations/{org_id}", headers=admin.headers)).json()
    assert org["parent_id"] == admin.organization_id and org["default_whitelist"] is True
    clash = await web.post(f"/organizations/{org_id}", data={"csrf_token": token, "name": "Operator"})
    assert clash.status_code == 422 and "exists already" in clash.text
    bad = await web.post(
        f"/organizations/{org_id}", data={"csrf_token": token, "name": "Parkside", "country_code": "QQ"}
    )
    assert bad.status_code == 422 and 'id="f-country_code-error"' in bad.text


async def test_a_location_manager_cannot_create_organisations(db, web):
    await make_user(db, "lm@example.com", role="location_manager")
    await login(web, "lm@example.com")
    page = await web.get("/organizations")
    assert "New sub-organisation" not in page.text
    refused = await web.post("/organizations", data={"csrf_token": csrf_of(page.text), "name": "Sneaky"})
    assert refused.status_code == 403


async def test_a_forged_cookie_is_not_a_session(db, web):
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    value = web.cookies[portal_session.COOKIE]
    web.cookies.set(portal_session.COOKIE, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert (await web.get("/")).status_code == 303


async def test_a_new_password_ends_older_sessions(db, web):
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    assert (await web.get("/")).status_code == 200
    async with db.sessionmaker() as session:
        user = await users.by_email(session, "jane@example.com")
        user.password_hash = users.hash_password("a brand new password")
        await session.commit()
    assert (await web.get("/")).status_code == 303


async def test_portal_pages_are_not_cached_or_framed(db, web):
    page = await web.get("/login")
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    missing = await web.get("/no-such-page")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    api = await web.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_user_create_command(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    def create(email: str, *options: str, password: str = "long enough password\n"):
        args = ["user", "create", "--email", email, "--organization", "Ops", *options, "--database-url", url]
        return CliRunner().invoke(cli, args, input=password)

    made = create("Ops@Example.com", "--role", "viewer", "--password-stdin")
    assert made.exit_code == 0 and "ops@example.com" in made.output, made.output
    again = create("ops@example.com", "--password-stdin")
    assert again.exit_code == 1 and "exists already" in again.output
    short = create("b@example.com", "--password-stdin", password="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    role = create("c@example.com", "--role", "root", "--password-stdin")
    assert role.exit_code == 2 and "Unknown role" in role.output
    prompted = create("d@example.com", password="long enough password\nlong enough password\n")
    assert prompted.exit_code == 0, prompted.output


async def test_demo_data_has_a_working_login(db, web):
    from chargedesk import demo

    async with db.sessionmaker() as session:
        assert await demo.load(session)
        await session.commit()
    response = await login(web, demo.DEMO_LOGIN_EMAIL, demo.DEMO_LOGIN_PASSWORD)
    assert response.status_code == 303
    dashboard = await web.get("/")
    assert "Station Square" not in dashboard.text and "charge locations" in dashboard.text
    listing = await web.get("/locations")
    assert "Station Square" in listing.text and "Parkside Garage" in listing.text


async def test_a_location_s_stations_tab_paginates(db, web, client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    for n in range(27):
        body = station_body(f"CP-{n:02}", location_id=location["id"])
        assert (await client.post("/charge-stations", json=body, headers=admin.headers)).status_code == 201
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    first = await web.get(f"/locations/{location['id']}/stations")
    assert first.text.count('href="/stations/CP-') == 25 and "Charge stations (27)" in first.text
    cursor = re.search(r'href="[^"]*/stations\?cursor=([^"]+)"', first.text).group(1)
    rest = await web.get(
        f"/locations/{location['id']}/stations", params={"cursor": cursor}, headers=HTMX | {"HX-Target": "location"}
    )
    assert rest.text.count('href="/stations/CP-') == 2 and "<html" not in rest.text
    assert "CP-26" in rest.text and "CP-00" not in rest.text


async def test_delete_a_location_only_once_its_stations_are_gone(db, web, client, admin):
    location = (await client.post("/locations", json=location_body(), headers=admin.headers)).json()
    body = station_body("CP-1", location_id=location["id"])
    assert (await client.post("/charge-stations", json=body, headers=admin.headers)).status_code == 201
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    token = csrf_of((await web.get(f"/locations/{location['id']}")).text)
    refused = await web.post(f"/locations/{location['id']}/delete", data={"csrf_token": token})
    assert refused.status_code == 409 and "unlink or move them first" in refused.text
    station_gone = await web.post("/stations/CP-1/delete", headers=HTMX | {"X-CSRF-Token": token})
    assert station_gone.headers["HX-Redirect"] == "/stations"
    gone = await web.post(f"/locations/{location['id']}/delete", data={"csrf_token": token})
    assert gone.status_code == 303 and gone.headers["location"] == "/locations"
    assert (await client.get(f"/locations/{location['id']}", headers=admin.headers)).status_code == 404
