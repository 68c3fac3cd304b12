"""Click through the portal in Chromium: the flows an operator's staff do every day."""

import re

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_EMAIL, PASSWORD, VIEWER_EMAIL, log_in, shot


def _mark(page) -> None:
    """Tag the window: if the tag survives an action, htmx updated the page without reloading it."""
    page.evaluate("window.__noReload = true")


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__noReload === true")


def _create_location(page, name: str) -> str:
    page.goto("/locations")
    page.get_by_role("link", name="New location").click()
    page.get_by_role("textbox", name="Name", exact=True).fill(name)
    page.get_by_label("Street and number").fill("Kade 7")
    page.get_by_label("Postal code").fill("1011 AA")
    page.get_by_label("City").fill("Amsterdam")
    page.get_by_label("Latitude").fill("52.37")
    page.get_by_label("Longitude").fill("4.89")
    page.get_by_role("button", name="Create location").click()
    page.wait_for_url(re.compile(r"/locations/loc_\w+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.url.rsplit("/", 1)[1]


def test_location_create_edit_publish(page):
    log_in(page)
    location_id = _create_location(page, "Canal Garage")
    _mark(page)
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Custom groups").fill("canal, fast")
    page.get_by_label("Maintenance status").select_option("needs_attention")
    page.get_by_label("Maintenance notes").fill("Cable of connector 2 is worn.")
    page.get_by_label("Next visit").fill("2026-12-15")
    page.get_by_label("Open 24/7").uncheck()
    page.get_by_label("Regular hours").fill("Mon 07:00-22:00\nSat 09:00-17:00")
    shot(page, "location-edit-1280")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    panel = page.get_by_role("tabpanel")
    expect(panel).to_contain_text("Cable of connector 2 is worn.")
    expect(panel).to_contain_text("needs attention")
    expect(panel).to_contain_text("Mon 07:00–22:00")
    expect(page.locator(".badges")).to_contain_text("canal")
    assert page.url.endswith(f"/locations/{location_id}")

    page.get_by_label("More actions").click()
    page.get_by_role("menuitem", name="Unpublish").click()
    expect(page.get_by_role("status")).to_contain_text("Unpublished")
    expect(page.locator(".badges")).to_contain_text("Unpublished")
    page.get_by_label("More actions").click()
    page.get_by_role("menuitem", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published: drivers can see this location.")
    assert _not_reloaded(page), "editing and publishing should not reload the page"
    shot(page, "location-details-1280", docs=True)

    # The list finds it by search and by custom group, updating in place.
    page.goto("/locations")
    _mark(page)
    page.get_by_label("Search").fill("canal gar")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Canal Garage")
    page.get_by_label("Search").fill("")
    page.get_by_label("Custom group").select_option("fast")
    expect(page).to_have_url(re.compile(r"custom_group=fast"))
    expect(page.locator("#results")).to_contain_text("Canal Garage")
    assert _not_reloaded(page)
    shot(page, "locations-list-1280", docs=True)


def test_station_create_and_link(page):
    log_in(page)
    _create_location(page, "Depot North")
    page.goto("/stations/new")
    page.get_by_label("Station ID (OCPP identity)").fill("E2E-CP-01")
    page.get_by_label("Vendor").fill("Alfen")
    page.get_by_label("Model").fill("Eve Single")
    page.get_by_label("Connectors").fill(
        "1 1 IEC_62196_T2 SOCKET AC_3_PHASE 400 32 22000\n2 2 IEC_62196_T2 SOCKET AC_3_PHASE 400 32"
    )
    page.get_by_label("OCPP configuration").fill("HeartbeatInterval=300")
    page.get_by_role("button", name="Register station").click()
    page.wait_for_url("**/stations/E2E-CP-01")
    expect(page.locator(".badges")).to_contain_text("Offline")
    expect(page.get_by_role("cell", name="HeartbeatInterval")).to_be_visible()
    _mark(page)
    page.get_by_label("Link to location").select_option(label="Depot North")
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_role("status")).to_have_text("Linked to the location.")
    assert _not_reloaded(page)
    shot(page, "station-details-1280")

    page.get_by_role("link", name="Open Depot North").click()
    page.get_by_role("tab", name=re.compile("Charge stations")).click()
    row = page.get_by_role("row").filter(has_text="E2E-CP-01")
    expect(row).to_contain_text("Offline")
    expect(row).to_contain_text("#1 unknown")
    shot(page, "location-stations-1280")


def test_delete_a_location_after_confirming(page):
    log_in(page)
    _create_location(page, "Temporary Lot")
    page.get_by_label("More actions").click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Temporary Lot")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("menuitem", name="Delete").click()
    page.wait_for_url("**/locations")
    expect(page.locator("#results")).not_to_contain_text("Temporary Lot")


def test_station_form_errors_next_to_the_field(page):
    log_in(page)
    page.goto("/stations/new")
    page.get_by_label("Station ID (OCPP identity)").fill("BAD:ID")
    page.get_by_label("Connectors").fill("1 1 T2")
    page.get_by_role("button", name="Register station").click()
    expect(page.locator("#f-evses-error")).to_contain_text("line 1")
    page.get_by_label("Connectors").fill("")
    page.get_by_role("button", name="Register station").click()
    expect(page.locator("#f-id-error")).to_contain_text("may not contain ':'")
    shot(page, "station-form-errors-1280")


def test_sub_organisation_and_default_whitelist(page):
    log_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisations").click()
    _mark(page)
    page.get_by_label("Name").fill("E2E Residents")
    page.get_by_role("button", name="Create sub-organisation").click()
    expect(page.get_by_role("status")).to_have_text("Created E2E Residents.")
    assert _not_reloaded(page)
    page.locator(".tree").get_by_role("link", name="E2E Residents").click()
    page.get_by_role("tab", name="Passes").click()
    page.get_by_label("Whitelist new passes by default").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    page.reload()
    expect(page.get_by_label("Whitelist new passes by default")).to_be_checked()
    page.goto("/organizations")
    expect(page.locator(".tree").first).to_contain_text("whitelist passes")
    shot(page, "organisations-1280")


def test_viewer_sees_no_edit_and_gets_403(page):
    log_in(page, VIEWER_EMAIL)
    page.goto("/locations")
    expect(page.get_by_role("link", name="New location")).to_have_count(0)
    response = page.goto("/locations/new")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("may not do this")


def test_log_out(page):
    log_in(page)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/locations")
    page.wait_for_url("**/login?next=/locations")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_wrong_password_in_the_browser(page):
    log_in_page = page.goto("/login")
    assert log_in_page.status == 200
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_phone_width(phone):
    log_in(phone)
    location_id = _create_location(phone, "Phone Plaza")
    pages = ("/", "/locations", "/stations", "/organizations", "/locations/new", "/stations/new")
    for path in (*pages, f"/locations/{location_id}/edit", f"/locations/{location_id}/stations"):
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
    phone.goto(f"/locations/{location_id}")
    shot(phone, "location-details-390", docs=True)
    phone.goto("/locations")
    shot(phone, "locations-list-390")


def test_csrf_refusal_without_a_browser(server):
    with httpx.Client(base_url=server) as client:
        login_page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
        signed_in = client.post("/login", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": PASSWORD})
        assert signed_in.status_code == 303
        refused = client.post("/organizations", data={"name": "Forged Org"})
        assert refused.status_code == 403
        forged = client.post("/organizations", data={"name": "Forged Org"}, headers={"X-CSRF-Token": "nope"})
        assert forged.status_code == 403
        tree = client.get("/organizations")
        assert "Forged Org" not in tree.text
