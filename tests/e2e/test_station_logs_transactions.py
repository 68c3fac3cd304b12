"""Stations, unknown cards and transactions in Chromium, with a simulated OCPP station connected to the server:
find an Authorize message's idTag in a station's log and add it as a pass; download the transactions CSV."""

import asyncio
import csv
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from chargedesk.ocpp import simulator
from tests.e2e.conftest import log_in, shot
from tests.factories import station_body


class LiveStation:
    """A simulated station connected to the e2e server, its event loop in a thread of its own (Playwright's sync
    API owns this thread's loop)."""

    def __init__(self, server: str, station_id: str) -> None:
        self.url = server.replace("http://", "ws://") + "/ocpp"
        self.station_id = station_id
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> "LiveStation":
        self.thread.start()
        self._connection = simulator.station(self.url, self.station_id)
        self.sim = self.run(self._connection.__aenter__())
        self.run(self.sim.boot())
        self.run(self.sim.report_status())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._connection.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def _wait_for_messages(api, station_id: str, action: str, count: int) -> None:
    """The log is written in batches after the station's answer: wait until the frames are stored (set-up only)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items = api.get(f"/charge-stations/{station_id}/messages", params={"action": action}).json()["items"]
        if len(items) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{count} {action} frames of {station_id} were not logged")


def _seconds(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def test_find_an_authorize_messages_id_tag_in_a_stations_log_and_add_it_as_a_pass(page, phone, server, api):
    api.post("/charge-stations", json=station_body("E2E-LOG-1")).raise_for_status()
    customer = api.post("/customers", json={"name": "Depot Crew"}).json()
    other, unknown = "04E2E000000A01", "04E2E5A1B2C3D4"
    with LiveStation(server, "E2E-LOG-1") as live:
        assert live.run(live.sim.authorize(other))["status"] == "Invalid"
        time.sleep(1.2)  # the card we look for is presented in a later second than the other one
        start = datetime.now(UTC).replace(microsecond=0)
        assert live.run(live.sim.authorize(unknown))["status"] == "Invalid"
        end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        _wait_for_messages(api, "E2E-LOG-1", "Authorize", 4)

        log_in(page)
        page.goto("/stations/E2E-LOG-1")
        expect(page.get_by_text("Online", exact=True)).to_be_visible()
        expect(page.locator("dl.facts")).to_contain_text(["Simulator"])
        shot(page, "station-details-1280")
        page.evaluate("window.__noReload = true")
        page.get_by_role("tab", name="Logs").click()
        page.wait_for_url("**/stations/E2E-LOG-1/logs")
        page.get_by_label("Message type").select_option("Authorize")
        page.get_by_label("From (UTC)").fill(_seconds(start))
        page.get_by_label("To (UTC)").fill(_seconds(end))
        page.get_by_role("button", name="Filter").click()
        rows = page.locator("#messages tbody tr")
        expect(rows).to_have_count(2)  # the card's Authorize and its answer; the other card is outside the window
        expect(rows.nth(0)).to_contain_text("CALLRESULT")  # newest first
        call = rows.filter(has_text="station →")
        call.get_by_text("Show payload").click()
        payload = json.loads(call.locator("pre").inner_text())
        assert payload == {"idTag": unknown}
        assert page.evaluate("window.__noReload === true")
        shot(page, "station-log-authorize-1280", docs=True)

        # The same frame by the id-tag search, and the commands answered by the connected station.
        page.get_by_label("From (UTC)").fill("")
        page.get_by_label("To (UTC)").fill("")
        page.get_by_label("Id tag").fill(other.lower())
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Authorize")
        page.get_by_role("tab", name="Commands").click()
        reset = page.locator("#cmd-reset")
        page.once("dialog", lambda dialog: dialog.accept())  # a reset asks first
        reset.get_by_role("button", name="Send reset").click()
        expect(reset.get_by_role("status")).to_contain_text('Reset answered: {"status": "Accepted"}')
        page.get_by_role("button", name="Run the commissioning test").click()
        expect(page.locator("#commissioning")).to_contain_text("Configuration readable")
        assert page.evaluate("window.__noReload === true")
        shot(page, "station-commands-1280")

    # The command of a station that is gone: the 409 message next to the command.
    page.reload()
    page.locator("#cmd-clear-cache").get_by_role("button", name="Send clear cache").click()
    expect(page.locator("#cmd-clear-cache").get_by_role("alert")).to_contain_text("is not connected")

    # Unknown cards: the refused UID, then "Add as pass" with the customer chosen on the way.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Unknown cards").click()
    row = page.locator("tbody tr").filter(has_text=unknown)
    expect(row).to_contain_text("E2E-LOG-1")
    row.get_by_role("link", name=f"Add {unknown} as a pass").click()
    page.wait_for_url(re.compile(r"/customers\?choose=pass&uid="))
    page.get_by_role("link", name="Add a pass for Depot Crew").click()
    expect(page.get_by_role("radio", name="Hidden ID")).to_be_checked()
    expect(page.get_by_role("textbox", name="Chip UID")).to_have_value(unknown)
    page.get_by_label("Nickname").fill("Found at the depot")
    page.get_by_role("button", name="Save pass").click()
    page.wait_for_url(f"**/customers/{customer['id']}")
    expect(page.get_by_role("table")).to_contain_text(unknown)

    # At phone width: the log's rows stack into cards, payloads included, and nothing scrolls sideways.
    log_in(phone)
    for path in ("/stations/E2E-LOG-1/logs?action=Authorize", "/stations/E2E-LOG-1/commands", "/unknown-cards"):
        phone.goto(path)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    phone.goto("/stations/E2E-LOG-1/logs?action=Authorize")
    phone.locator("#messages tbody tr").first.get_by_text("Show payload").click()
    shot(phone, "station-log-390")


def test_download_the_transactions_csv_and_check_its_rows(page, phone, server, api):
    api.post("/charge-stations", json=station_body("E2E-TX-1")).raise_for_status()
    customer = api.post("/customers", json={"name": "Transit Fleet"}).json()
    free, paid = "04E2EFEE000001", "04E2E9A1D00002"
    for uid, whitelist in ((free, True), (paid, False)):
        body = {"customer_id": customer["id"], "uid": uid, "whitelist": whitelist}
        api.post("/tokens", json=body).raise_for_status()
    with LiveStation(server, "E2E-TX-1") as live:
        for n, (tag, energy) in enumerate(((free, 4000), (paid, 2500))):
            started = live.run(live.sim.start_transaction(tag, connector_id=1, meter_start=n * 10_000))
            live.run(live.sim.stop_transaction(started.transaction_id, n * 10_000 + energy, tag))
        log_in(page)
        shot(page, "dashboard-1280")
        expect(page.locator("#tile-online")).to_contain_text(re.compile(r"[1-9]\d* / \d+"))
        expect(page.locator(".chart svg")).to_have_count(2)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transactions").click()
    today = datetime.now(UTC).date().isoformat()
    page.get_by_label("From").fill(today)
    page.get_by_label("To (included)").fill(today)
    page.get_by_label("Station").fill("E2E-TX-1")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=free)).to_contain_text("Free · whitelist")
    expect(rows.filter(has_text=paid)).to_contain_text("Paid")
    shot(page, "transactions-1280", docs=True)

    def download() -> list[dict[str, str]]:
        with page.expect_download() as info:
            page.get_by_role("link", name="Download CSV").click()
        assert info.value.suggested_filename == "transactions.csv"
        with open(info.value.path(), newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    got = download()
    assert [(r["id_tag"], r["billing"], r["billing_reason"], r["energy_wh"]) for r in got] == [
        (free, "free", "whitelist", "4000"),  # the export is oldest first
        (paid, "paid", "", "2500"),
    ]
    assert {r["station_id"] for r in got} == {"E2E-TX-1"} and {r["status"] for r in got} == {"completed"}
    page.get_by_label("Billing").select_option("free")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    assert [(r["id_tag"], r["billing"]) for r in download()] == [(free, "free")]

    # At phone width the list stacks into cards and the nav still reaches every page.
    log_in(phone)
    phone.goto("/transactions?station_id=E2E-TX-1")
    expect(phone.locator("#results tbody tr")).to_have_count(2)
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="Unknown cards")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone, "transactions-390")
