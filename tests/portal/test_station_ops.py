"""The portal's station Logs and Commands tabs, Unknown cards, Transactions and the dashboard, over HTTP."""

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import httpx

from chargedesk.authorization.models import UnknownId
from chargedesk.ids import new_id
from chargedesk.ocpp import simulator
from chargedesk.ocpp.log import MessageLog
from chargedesk.transactions.models import Transaction
from tests.factories import station_body
from tests.ocpp.conftest import add_customer, add_station, server  # noqa: F401  (the uvicorn server fixture)
from tests.portal.helpers import csrf_of, login, make_user

HTMX = {"HX-Request": "true"}
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def _log(db, station_id: str) -> None:
    log = MessageLog(db)
    for n, tag in enumerate(("04AAAA11111111", "04BBBB22222222")):
        log.record(station_id, "in", "CALL", f"m{n}", "Authorize", {"idTag": tag})
        log.record(station_id, "out", "CALLRESULT", f"m{n}", "Authorize", {"idTagInfo": {"status": "Invalid"}})
    log.record(station_id, "in", "CALL", "hb", "Heartbeat", {})
    await log.close()


async def test_logs_tab_filters_by_action_and_id_tag(db, web, client, admin):
    await client.post("/charge-stations", json=station_body("CP-1"), headers=admin.headers)
    await _log(db, "CP-1")
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    page = await web.get("/stations/CP-1/logs")
    assert page.status_code == 200 and 'aria-selected="true" class="active">Logs' in page.text
    assert page.text.count('<details class="payload">') == 5
    found = await web.get(
        "/stations/CP-1/logs", params={"action": "Authorize", "direction": "in", "id_tag": "04bbbb22222222"},
        headers=HTMX | {"HX-Target": "logs"},
    )  # fmt: skip
    assert found.status_code == 200 and "<html" not in found.text
    assert found.text.count('<details class="payload">') == 1 and "04BBBB22222222" in found.text
    assert "04AAAA11111111" not in found.text
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    none = await web.get("/stations/CP-1/logs", params={"from": later}, headers=HTMX | {"HX-Target": "messages"})
    assert "No messages match." in none.text
    wrong = await web.get("/stations/CP-1/logs", params={"from": "yesterday", "to": later})
    assert wrong.status_code == 422 and 'id="f-from-error"' in wrong.text and "YYYY-MM-DD HH:MM" in wrong.text


async def test_another_organisations_station_log_and_commands_are_not_found(db, web, client, make_key):
    other = await make_key("Other Operator")
    await client.post("/charge-stations", json=station_body("CP-OTHER"), headers=other.headers)
    await _log(db, "CP-OTHER")
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    assert (await web.get("/stations/CP-OTHER/logs")).status_code == 404
    assert (await web.get("/stations/CP-OTHER/commands")).status_code == 404
    token = csrf_of((await web.get("/")).text)
    sent = await web.post("/stations/CP-OTHER/commands/reset", data={"csrf_token": token, "type": "Soft"})
    assert sent.status_code == 404


async def test_a_viewer_cannot_send_commands_and_forms_need_the_csrf_token(db, web, client, admin):
    await client.post("/charge-stations", json=station_body("CP-1"), headers=admin.headers)
    await make_user(db, "viewer@example.com", role="viewer")
    await login(web, "viewer@example.com")
    tab = await web.get("/stations/CP-1/commands")
    assert tab.status_code == 200 and "may not send commands" in tab.text and "/commands/reset" not in tab.text
    token = csrf_of(tab.text)
    refused = await web.post("/stations/CP-1/commands/reset", data={"csrf_token": token, "type": "Soft"})
    assert refused.status_code == 403
    test = await web.post("/stations/CP-1/commissioning-test", data={"csrf_token": token})
    assert test.status_code == 403
    await make_user(db, "jane@example.com")
    admin_web = httpx.AsyncClient(transport=web._transport, base_url="http://testserver")
    async with admin_web:
        await login(admin_web, "jane@example.com")
        no_token = await admin_web.post("/stations/CP-1/commands/reset", data={"type": "Soft"})
        assert no_token.status_code == 403
        offline = await admin_web.post(
            "/stations/CP-1/commands/reset",
            data={"csrf_token": csrf_of((await admin_web.get("/stations/CP-1/commands")).text), "type": "Soft"},
            headers=HTMX | {"HX-Target": "cmd-reset"},
        )
        assert offline.status_code == 200 and "is not connected" in offline.text and "409 offline" in offline.text
        assert offline.text.lstrip().startswith("<form")


async def test_commands_and_commissioning_on_a_connected_station(db, server, admin):  # noqa: F811
    await add_station(db, admin.organization_id, "CP-LIVE")
    await make_user(db, "jane@example.com")
    base = server.url.replace("ws://", "http://").removesuffix("/ocpp")
    async with httpx.AsyncClient(base_url=base, timeout=30) as web, simulator.station(server.url, "CP-LIVE") as sim:
        await sim.boot()
        await sim.report_status()
        await login(web, "jane@example.com")
        tab = await web.get("/stations/CP-LIVE/commands")
        token = csrf_of(tab.text)
        headers = HTMX | {"HX-Target": "cmd-change-configuration"}
        bad = await web.post(
            "/stations/CP-LIVE/commands/change-configuration", data={"csrf_token": token}, headers=headers
        )
        assert 'id="f-key-error"' in bad.text and "invalid fields" in bad.text
        changed = await web.post(
            "/stations/CP-LIVE/commands/change-configuration",
            data={"csrf_token": token, "key": "HeartbeatInterval", "value": "60"},
            headers=headers,
        )
        assert "ChangeConfiguration answered" in changed.text and "Accepted" in changed.text
        assert sim.configuration["HeartbeatInterval"] == "60"
        read = await web.post(
            "/stations/CP-LIVE/commands/get-configuration",
            data={"csrf_token": token, "key": "HeartbeatInterval"},
            headers=HTMX | {"HX-Target": "cmd-get-configuration"},
        )
        assert "GetConfiguration answered" in read.text and "HeartbeatInterval" in read.text
        report = await web.post(
            "/stations/CP-LIVE/commissioning-test",
            data={"csrf_token": token},
            headers=HTMX | {"HX-Target": "commissioning"},
        )
        assert report.status_code == 200 and "Configuration readable" in report.text
        assert report.text.count(">Pass<") >= 4
        details = await web.get("/stations/CP-LIVE")
        assert "Online" in details.text and "1.0.0" in details.text and "Simulator" in details.text
        assert "<dt>Boot</dt><dd>Accepted</dd>" in details.text
        assert "<dt>Station status (connector 0)</dt><dd>Available</dd>" in details.text


async def _transaction(db, org: str, n: int, billing: str, reason: str | None, started: datetime, **extra) -> None:
    async with db.sessionmaker() as session:
        session.add(
            Transaction(
                station_id="CP-1", organization_id=org, connector_id=1, id_tag=f"04TAG{n:09d}",
                authorization_status="Accepted", billing=billing, billing_reason=reason, started_at=started,
                meter_start=0, **extra,
            )
        )  # fmt: skip
        await session.commit()


async def test_transactions_list_marks_free_sessions_and_the_csv_is_what_is_filtered(db, web, admin, make_key):
    stopped = {"stopped_at": T0 + timedelta(hours=1), "meter_stop": 5000, "energy_wh": 5000}
    await _transaction(db, admin.organization_id, 1, "free", "whitelist", T0, **stopped)
    await _transaction(db, admin.organization_id, 2, "paid", None, T0 + timedelta(minutes=5), **stopped)
    await _transaction(db, admin.organization_id, 3, "paid", None, T0 + timedelta(days=3))
    other = await make_key("Other Operator")
    await _transaction(db, other.organization_id, 4, "free", "whitelist", T0)
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    page = await web.get("/transactions")
    assert page.status_code == 200 and "04TAG000000003" in page.text and "04TAG000000004" not in page.text
    assert "Free · whitelist" in page.text
    query = {"from": "2026-03-02", "to": "2026-03-02"}
    listing = await web.get("/transactions", params=query, headers=HTMX | {"HX-Target": "listing"})
    assert "04TAG000000003" not in listing.text and "04TAG000000002" in listing.text
    assert 'href="/transactions/export.csv?from=2026-03-02&amp;to=2026-03-02"' in listing.text
    exported = await web.get("/transactions/export.csv", params=query)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["id_tag"], r["billing"], r["billing_reason"]) for r in rows] == [
        ("04TAG000000001", "free", "whitelist"),
        ("04TAG000000002", "paid", ""),
    ]
    free = list(
        csv.DictReader(io.StringIO((await web.get("/transactions/export.csv", params={"billing": "free"})).text))
    )
    assert [r["id_tag"] for r in free] == ["04TAG000000001"]
    wrong = await web.get("/transactions", params={"from": "2026-03-05", "to": "2026-03-01"})
    assert wrong.status_code == 422 and 'id="f-to-error"' in wrong.text


async def test_dashboard_charts_sessions_and_energy(db, web, admin):
    today = datetime.now(UTC).replace(hour=0, minute=5)
    await _transaction(
        db, admin.organization_id, 1, "paid", None, today, stopped_at=today, meter_stop=7000, energy_wh=7000
    )
    await _transaction(db, admin.organization_id, 2, "paid", None, today - timedelta(days=2))
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    page = await web.get("/")
    assert page.status_code == 200 and page.text.count("<svg") == 2 and page.text.count('class="bar"') == 60
    assert (
        f"{today.date().isoformat()}: 1 sessions" in page.text and f"{today.date().isoformat()}: 7.0 kWh" in page.text
    )
    assert "sessions charging now" in page.text and "charge stations online" in page.text


async def test_unknown_cards_add_as_pass_opens_the_hidden_id_form(db, web, admin):
    async with db.sessionmaker() as session:
        seen = {"first_seen": T0, "last_seen": T0 + timedelta(hours=2), "count": 3}
        org = admin.organization_id
        session.add(
            UnknownId(id=new_id("unk"), station_id="CP-1", organization_id=org, id_tag="04CAFE12345678", **seen)
        )
        await session.commit()
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    page = await web.get("/unknown-cards")
    assert "04CAFE12345678" in page.text and 'href="/passes/new?uid=04CAFE12345678"' in page.text
    choose = await web.get("/passes/new?uid=04CAFE12345678")
    assert choose.status_code == 303 and choose.headers["location"] == "/customers?choose=pass&uid=04CAFE12345678"
    customer = await add_customer(db, admin.organization_id)
    customers = await web.get(choose.headers["location"])
    assert f"/passes/new?customer_id={customer}&amp;uid=04CAFE12345678" in customers.text
    form = await web.get(f"/passes/new?customer_id={customer}&uid=04CAFE12345678")
    assert 'value="04CAFE12345678"' in form.text and 'id="f-mode-uid" name="mode" value="uid" checked' in form.text


async def test_the_log_paginates_newest_first(db, web, client, admin):
    await client.post("/charge-stations", json=station_body("CP-1"), headers=admin.headers)
    log = MessageLog(db)
    for n in range(55):
        log.record("CP-1", "in", "CALL", f"hb{n:02d}", "Heartbeat", {"n": n})
    await log.close()
    await make_user(db, "jane@example.com")
    await login(web, "jane@example.com")
    first = await web.get("/stations/CP-1/logs", params={"action": "Heartbeat"})
    assert first.text.count('<details class="payload">') == 50 and "hb54" in first.text and "hb04" not in first.text
    link = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert link
    rest = await web.get(html.unescape(link.group(1)), headers=HTMX | {"HX-Target": "messages"})
    assert rest.text.count('<details class="payload">') == 5 and "hb00" in rest.text and "hb05" not in rest.text
