"""The seed "Private Location Authorization Management", click by click in Chromium: make a location private by
adding a customer, add a token by Chip ID and an external Auth ID, import a CSV with "clear" (preview, then
Finalise import), remove selected, remove all, and make the location public again."""

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ORGANIZATION, VIEWER_EMAIL, cli, log_in, shot

CHIP = "04E2E0A1B2C3D4"
CHIP_2 = "04E2E0A1B2C3D5"
EXTERNAL = "DE-8EO-E2E000001"
IMPORTED_EXTERNAL = "NL-E2E-000000042"


@pytest.fixture(scope="module")
def api(server: str, server_env: dict[str, str]) -> Iterator[httpx.Client]:
    """The REST API with an admin key of the portal users' organisation, to set up customers and tokens."""
    printed = cli("api-key", "create", "--organization", ORGANIZATION, "--role", "admin", env=server_env)
    key = printed.strip().splitlines()[-1]
    with httpx.Client(base_url=f"{server}/api/v1", headers={"Authorization": f"Bearer {key}"}) as client:
        yield client


def _post(api: httpx.Client, path: str, body: dict) -> dict:
    response = api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def site(api: httpx.Client) -> dict:
    location = _post(api, "/locations", {
        "name": "Residents Garage", "address": "Havenstraat 3", "city": "Utrecht", "postal_code": "3511 AA",
        "country": "NLD", "coordinates": {"latitude": 52.09, "longitude": 5.12},
    })  # fmt: skip
    grace = _post(api, "/customers", {"name": "Grace Hopper", "external_id": "CRM-E2E-7"})
    linus = _post(api, "/customers", {"name": "Linus Pauling", "external_id": "CRM-E2E-8"})
    tokens = [_post(api, "/tokens", {"uid": uid}) for uid in (CHIP, CHIP_2)]
    return {"location": location, "customers": [grace, linus], "tokens": tokens}


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__noReload === true")


def _settled(page) -> None:
    """Wait until htmx has swapped in (and wired up) what the last click asked for."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def _menu(page, label: str, item: str, confirm: bool = False) -> None:
    page.get_by_label(label, exact=True).click()
    if confirm:
        page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("menuitem", name=item).click()


def test_private_location_walkthrough(page, site, api):
    location_id = site["location"]["id"]
    grace, linus = site["customers"]
    log_in(page)
    page.goto(f"/locations/{location_id}")
    page.evaluate("window.__noReload = true")
    badges = page.locator(".badges")
    expect(badges).to_contain_text("Public")
    expect(badges).to_contain_text("Published")

    # Make the location private: Authorization → Customers → Add customers → search by name, select.
    page.get_by_role("tab", name="Authorization").click()
    expect(page.get_by_role("heading", name="Authorised customers & charge tokens")).to_be_visible()
    page.get_by_role("tab", name=re.compile(r"^Customers")).click()
    page.get_by_role("link", name="Add customers").click()
    _settled(page)
    page.get_by_label("Search by customer name or external ID").fill("grace h")
    results = page.locator("#auth-search")
    expect(results).not_to_contain_text("Linus Pauling")  # the live search has narrowed the results
    expect(results).to_contain_text("CRM-E2E-7")
    results.get_by_role("button", name="Add Grace Hopper").click()
    expect(page.get_by_role("status")).to_contain_text("Added Grace Hopper")
    _settled(page)
    expect(badges).to_contain_text("Private")
    expect(badges).to_contain_text("Unpublished")
    shot(page, "authorization-customer-added-1280", docs=True)
    # … and one by external ID.
    page.get_by_label("Search by customer name or external ID").fill("crm-e2e-8")
    results.get_by_role("button", name="Add Linus Pauling").click()
    expect(page.get_by_role("status")).to_contain_text("Added Linus Pauling")
    expect(page.get_by_role("tab", name=re.compile(r"^Customers"))).to_have_text("Customers (2)")
    # The arrow next to Remove opens the customer's details page.
    page.get_by_label("Options for Grace Hopper").click()
    expect(page.get_by_role("menuitem", name="Customer details")).to_have_attribute("href", f"/customers/{grace['id']}")

    # Charge tokens: by Chip ID, then an external Auth ID.
    page.get_by_role("tab", name=re.compile(r"^Charge tokens")).click()
    page.get_by_role("link", name="Add charge token").click()
    _settled(page)
    search = page.get_by_label("Search by Auth ID or Chip ID, or enter an external Auth ID")
    search.fill(CHIP.lower()[-8:])
    expect(results).not_to_contain_text(CHIP_2)
    results.get_by_role("button", name=f"Add {CHIP}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added charge token {CHIP}")
    _settled(page)
    search = page.get_by_label("Search by Auth ID or Chip ID, or enter an external Auth ID")
    search.fill(EXTERNAL)
    expect(results).to_contain_text(f"Not on the platform? Add {EXTERNAL} as an external token")
    shot(page, "authorization-external-token-1280", docs=True)
    results.get_by_role("button", name="Add external token").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added external token {EXTERNAL}")
    listing = page.locator("#auth-list")
    expect(listing.get_by_role("row").filter(has_text=EXTERNAL)).to_contain_text("External")
    token_id = site["tokens"][0]["id"]
    page.get_by_label(f"Options for {CHIP}").click()
    expect(page.get_by_role("menuitem", name="Charge token page")).to_have_attribute("href", f"/passes/{token_id}")

    # Import charge tokens with "clear": a file with a mistake first, then the right one; preview, then finalise.
    _menu(page, "More charge token actions", "Import charge tokens")
    with page.expect_download() as download:
        page.get_by_role("link", name="Token importer example file").click()
    assert download.value.suggested_filename == "token-importer-example.csv"
    csv = f"auth_id,uid\n,{CHIP}\n,{CHIP_2}\nNL-TNM-000122045-X,\n"
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "list.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_role("alert")).to_contain_text("1 problem in list.csv: nothing was imported")
    expect(page.get_by_role("row").filter(has_text="NL-TNM-000122045-X")).to_contain_text("check digit")
    expect(page.get_by_role("button", name="Finalise import")).to_have_count(0)
    shot(page, "authorization-import-errors-1280")
    csv = f"auth_id,uid\n,{CHIP}\n,{CHIP_2}\n{IMPORTED_EXTERNAL},\n"
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "list.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_label("Clear charge token list before importing").check()
    page.get_by_role("button", name="Check file").click()
    preview = page.get_by_label("Import preview")
    for figure in ("3rows", "2to add", "1already on the list", "1new external tokens", "1removed by clearing"):
        expect(preview).to_contain_text(figure)
    shot(page, "authorization-import-preview-1280", docs=True)
    assert api.get(f"/locations/{location_id}/authorization").json()["token_count"] == 2  # nothing imported yet
    page.get_by_role("button", name="Finalise import").click()
    expect(page.get_by_role("status")).to_contain_text(
        "2 added, 1 already on the list, 1 new external token, 1 removed"
    )
    expect(listing).not_to_contain_text(EXTERNAL)  # cleared: it was not in the file
    for auth_id in (CHIP, CHIP_2, IMPORTED_EXTERNAL):
        expect(listing).to_contain_text(auth_id)

    # Remove selected, then remove all charge tokens.
    page.get_by_label(f"Select {CHIP_2}").check()
    page.get_by_label(f"Select {IMPORTED_EXTERNAL}").check()
    _menu(page, "More charge token actions", "Remove selected charge tokens")
    expect(page.get_by_role("status")).to_contain_text("Removed 2 charge tokens")
    expect(page.get_by_role("tab", name=re.compile(r"^Charge tokens"))).to_have_text("Charge tokens (1)")
    _menu(page, "More charge token actions", "Remove all charge tokens", confirm=True)
    expect(page.get_by_role("status")).to_contain_text("Removed 1 charge token")
    expect(listing).to_contain_text("No charge tokens on the list.")

    # Customers: Remove on a row, then Remove all (the last one) — the list is empty, still unpublished.
    page.get_by_role("tab", name=re.compile(r"^Customers")).click()
    page.get_by_role("button", name="Remove Grace Hopper").click()
    expect(page.get_by_role("status")).to_contain_text("Removed 1 customer")
    _menu(page, "More customer actions", "Remove all customers", confirm=True)
    expect(page.get_by_role("status")).to_contain_text("the location is public")
    expect(badges).to_contain_text("Public")
    expect(badges).to_contain_text("Unpublished")

    # Make it public again: Publish from the arrow next to Edit.
    _menu(page, "More actions", "Publish")
    expect(page.get_by_role("status")).to_contain_text("Published: drivers can see this location.")
    expect(badges).to_contain_text("Published")
    expect(badges).to_contain_text("Public")
    listed = api.get(f"/locations/{location_id}/authorization").json()
    assert listed["private"] is False and listed["published"] is True

    # The Audit tab tells who did what, and how.
    page.get_by_role("tab", name="Audit").click()
    audit = page.get_by_role("tabpanel")
    expect(audit).to_contain_text("Imported charge tokens")
    expect(audit).to_contain_text("Added: Grace Hopper")
    expect(audit).to_contain_text("admin@e2e.example")
    assert _not_reloaded(page), "the whole walk should run without reloading the page"
    shot(page, "authorization-audit-1280")
    assert linus["id"]


def test_viewer_sees_the_list_read_only(page, site, api):
    location_id = site["location"]["id"]
    grace = site["customers"][0]
    api.post(f"/locations/{location_id}/authorization/customers", json={"customer_ids": [grace["id"]]})
    log_in(page, VIEWER_EMAIL)
    page.goto(f"/locations/{location_id}/authorization/customers")
    expect(page.locator("#auth-list")).to_contain_text("Grace Hopper")
    expect(page.get_by_role("link", name="Add customers")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    api.delete(f"/locations/{location_id}/authorization/customers", params={"all": "true"})


def test_authorization_pages_at_phone_width(phone, site, api):
    location_id = site["location"]["id"]
    api.post(f"/locations/{location_id}/authorization/tokens", json={"auth_ids": [EXTERNAL, CHIP]})
    log_in(phone)
    base = f"/locations/{location_id}"
    paths = ("/authorization/customers?add=1", "/authorization/tokens?add=1&q=04e2e", "/authorization/tokens/import")
    for path in (*paths, "/audit"):
        phone.goto(base + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
    phone.goto(f"{base}/authorization/tokens")
    shot(phone, "authorization-tokens-390")
    api.delete(f"/locations/{location_id}/authorization/tokens", params={"all": "true"})
