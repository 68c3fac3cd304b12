"""Customers and passes in Chromium: the whitelist-charging-cards seed, click by click, and the bulk pass import."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import log_in, shot


def _create_customer(page, name: str, external_id: str) -> str:
    page.goto("/customers")
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("External ID").fill(external_id)
    page.get_by_label("Email").fill("fleet@example.com")
    page.get_by_role("button", name="Create customer").click()
    page.wait_for_url(re.compile(r"/customers/cus_\w+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.url.rsplit("/", 1)[1]


def _add_pass_form(page, customer: str) -> None:
    page.get_by_role("link", name="+ Add pass").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Add a pass for {customer}")


def test_add_passes_by_visible_and_hidden_id_with_both_mistakes(page):
    log_in(page)
    _create_customer(page, "Harbour Fleet", "CRM-E2E-1")

    # Hidden ID: the visible ID typed into it is caught as the user types, before saving.
    _add_pass_form(page, "Harbour Fleet")
    page.get_by_role("radio", name="Hidden ID").check()
    chip = page.get_by_role("textbox", name="Chip UID")
    chip.press_sequentially("NL-TNM-B12345-6", delay=20)
    check = page.locator("#f-uid-check")
    expect(check).to_contain_text("looks like a visible ID")
    expect(check).to_contain_text("Public Card ID")
    shot(page, "pass-hidden-id-mistake-1280", docs=True)
    chip.fill("04AAAB11CD2345")
    expect(check.get_by_role("alert")).to_have_count(0)
    page.get_by_label("Nickname").fill("Key tag")
    page.get_by_role("button", name="Save pass").click()
    page.wait_for_url(re.compile(r"/customers/cus_\w+$"))
    expect(page.get_by_role("table")).to_contain_text("04AAAB11CD2345")

    # Public Card ID: a chip UID typed into it is caught too.
    _add_pass_form(page, "Harbour Fleet")
    expect(page.get_by_role("radio", name="Public Card ID")).to_be_checked()
    expect(page.get_by_role("textbox", name="Chip UID")).to_be_hidden()
    visible = page.get_by_role("textbox", name="Visible ID")
    visible.press_sequentially("04BBCC22DD3456", delay=20)
    expect(page.locator("#f-visual_number-check")).to_contain_text("looks like a chip UID")
    expect(page.locator("#f-visual_number-check")).to_contain_text("Hidden ID")
    visible.fill("NL-TNM-B12345-6")
    expect(page.locator("#f-visual_number-check").get_by_role("alert")).to_have_count(0)
    page.get_by_label("Nickname").fill("Company card")
    page.get_by_role("button", name="Save pass").click()
    page.wait_for_url(re.compile(r"/customers/cus_\w+$"))

    # Several passes for the one customer, both on the customer page.
    expect(page.get_by_role("heading", name="Passes (2)")).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Key tag")
    expect(table).to_contain_text("NL-TNM-B12345-6")
    shot(page, "customer-passes-1280", docs=True)


def test_edit_and_delete_a_pass(page):
    log_in(page)
    _create_customer(page, "Dock Services", "CRM-E2E-2")
    _add_pass_form(page, "Dock Services")
    page.get_by_role("radio", name="Hidden ID").check()
    page.get_by_role("textbox", name="Chip UID").fill("0A1B2C3D")
    page.get_by_label("Nickname").fill("Van 3")
    page.get_by_role("button", name="Save pass").click()
    page.get_by_role("link", name="Van 3").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Van 3")
    expect(page.locator(".badges .badge").first).to_have_text("Not whitelisted")

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Chip UID (hidden ID)")).to_have_attribute("readonly", "")
    expect(page.get_by_text("delete the pass and add it again")).to_be_visible()
    page.get_by_label("Nickname").fill("Van 3 (night shift)")
    page.get_by_label("Whitelist").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Van 3 (night shift)")
    expect(page.locator(".badges .badge").first).to_have_text("Whitelist")
    shot(page, "pass-details-1280")

    page.get_by_label("More actions").click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Van 3 (night shift)")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("menuitem", name="Delete").click()
    page.wait_for_url(re.compile(r"/customers/cus_\w+$"))
    expect(page.get_by_role("heading", name="Passes (0)")).to_be_visible()
    page.goto("/passes?q=0A1B2C3D")
    expect(page.locator("#results")).to_contain_text("No passes.")


BAD_FILE = b"uid,auth_id,visual_number,customer_external_id,nickname\n0C0FFEE1,,,CRM-E2E-3,Good row\nNL-TNM-B77777-1,,,CRM-E2E-3,Bad row\n"  # noqa: E501
GOOD_FILE = b"uid,auth_id,visual_number,customer_external_id,nickname,whitelist\n0C0FFEE1,,,CRM-E2E-3,Import one,true\n,NL-TNM-B77777-1,NL-TNM-B77777-1,CRM-E2E-3,Import two,false\n"  # noqa: E501


def test_bulk_import_previews_then_finalises(page):
    log_in(page)
    page.goto("/passes")
    page.get_by_role("link", name="Import passes").click()
    expect(page.get_by_role("link", name="Download an example file")).to_have_attribute(
        "href", "/passes/import/example.csv"
    )

    # A file with a bad line: the preview names it, and nothing is imported.
    page.get_by_label("CSV file").set_input_files({"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_FILE})
    page.get_by_role("button", name="Check the file").click()
    bad = page.locator("tr.import-error")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").first).to_have_text("3")
    expect(bad).to_contain_text("NL-TNM-B77777-1")
    expect(bad).to_contain_text("looks like a visible ID")
    expect(page.get_by_role("button", name="Finalise import")).to_have_count(0)
    shot(page, "pass-import-errors-1280", docs=True)
    page.goto("/passes?q=0C0FFEE1")
    expect(page.locator("#results")).to_contain_text("No passes.")

    # The corrected file: preview, then Finalise imports it.
    page.goto("/passes/import")
    page.get_by_label("CSV file").set_input_files({"name": "good.csv", "mimeType": "text/csv", "buffer": GOOD_FILE})
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import")).to_contain_text("nothing is imported yet")
    page.get_by_role("button", name="Finalise import").click()
    expect(page.get_by_role("status")).to_contain_text("2 added")
    page.get_by_role("link", name="See the passes").click()
    page.get_by_label("Search").fill("b77777")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Import two")
    page.get_by_label("Search").fill("")
    page.get_by_label("Whitelist").select_option("yes")
    expect(page.locator("#results")).to_contain_text("Import one")
    expect(page.locator("#results")).not_to_contain_text("Import two")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert "0C0FFEE1" in download.value.path().read_text()


def test_passes_pages_at_phone_width(phone):
    log_in(phone)
    customer_id = _create_customer(phone, "Pocket Fleet", "CRM-E2E-4")
    _add_pass_form(phone, "Pocket Fleet")
    phone.get_by_role("radio", name="Hidden ID").check()
    phone.get_by_role("textbox", name="Chip UID").fill("0D0D0D0D")
    phone.get_by_label("Nickname").fill("Pocket tag")
    phone.get_by_role("button", name="Save pass").click()
    phone.get_by_role("link", name="Pocket tag").click()
    phone.wait_for_url(re.compile(r"/passes/tok_\w+$"))
    pass_page = "/passes/" + phone.url.rsplit("/", 1)[1]
    customer = f"/customers/{customer_id}"
    for path in (
        "/customers",
        "/passes",
        "/passes/import",
        customer,
        f"{customer}/edit",
        f"/passes/new?customer_id={customer_id}",
        pass_page,
        f"{pass_page}/edit",
    ):
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
    shot(phone, "pass-edit-390")
