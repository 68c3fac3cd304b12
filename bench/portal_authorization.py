"""The Authorization and Audit tabs of a private location with a long list: page latency, and the import preview.

The app runs in-process (httpx ASGI transport) on SQLite. The list is filled through the portal's own import
(preview, then Finalise import) with --tokens rows, half of them tokens the organisation has, half unknown (they
become external tokens). Prints JSON: per page, the median and 95th percentile in milliseconds over --requests
requests, and the seconds the preview and the finalise of the import took.
  .venv/bin/python bench/portal_authorization.py [--tokens 20000] [--requests 30]
"""

import argparse
import asyncio
import json
import re
import tempfile
import time
from pathlib import Path

import httpx

from chargedesk.app import create_app
from chargedesk.config import Settings
from chargedesk.db import Database, utcnow
from chargedesk.ids import new_id
from chargedesk.locations.models import Location
from chargedesk.migrations import upgrade
from chargedesk.organizations import service as organizations
from chargedesk.portal import users
from chargedesk.tokens.bulk import INSERT_COLUMNS, bulk_insert
from chargedesk.tokens.models import Token
from common import page_latency

PASSWORD = "benchmark password"


async def seed(db: Database, known: int) -> str:
    async with db.sessionmaker() as session:
        org = await organizations.create(session, "Bench Operator")
        await users.create(session, "bench@example.com", PASSWORD, org.id, "admin")
        location = Location(
            id=new_id("loc"), organization_id=org.id, name="Bench Garage", address="Street 1", city="Utrecht",
            country="NLD", latitude=52.0, longitude=5.1, published=True, search_text="bench garage",
        )  # fmt: skip
        session.add(location)
        rows = []
        now = utcnow()
        for n in range(known):
            uid = f"04{n:012X}"
            values = {"id": new_id("tok"), "organization_id": org.id, "root_organization_id": org.id, "uid": uid,
                      "auth_id": uid, "auth_key": uid, "type": "RFID", "status": "active", "whitelist": False,
                      "external": False, "max_concurrent_transactions": 1,
                      "created_at": now, "updated_at": now}  # fmt: skip
            rows.append(tuple(values.get(name) for name in INSERT_COLUMNS))
        await session.flush()
        await bulk_insert(session, Token.__table__, INSERT_COLUMNS, rows)
        await session.commit()
        return location.id


async def main(tokens: int, requests: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        location_id = await seed(db, tokens // 2)
        app = create_app(Settings(database_url=url), db=db)
        results: dict[str, object] = {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/login")).text).group(1)
            form = {"csrf_token": token, "email": "bench@example.com", "password": PASSWORD}
            assert (await client.post("/login", data=form)).status_code == 303
            token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/")).text).group(1)
            base = f"/locations/{location_id}"
            lines = [f",04{n:012X}" for n in range(tokens // 2)] + [
                f"X-BENCH-{n}," for n in range(tokens - tokens // 2)
            ]
            csv = ("auth_id,uid\n" + "\n".join(lines) + "\n").encode()
            htmx = {"HX-Request": "true", "HX-Target": "location", "X-CSRF-Token": token}
            start = time.perf_counter()
            preview = await client.post(
                f"{base}/authorization/tokens/import", files={"file": ("l.csv", csv)}, headers=htmx
            )
            results["import_preview_s"] = round(time.perf_counter() - start, 2)
            assert preview.status_code == 200, re.findall(r"<td data-label=\"Problem\">[^<]*", preview.text)[:3]
            upload_id = preview.text.split("/tokens/import/")[1].split("/finalise")[0]
            start = time.perf_counter()
            done = await client.post(f"{base}/authorization/tokens/import/{upload_id}/finalise", headers=htmx)
            results["import_finalise_s"] = round(time.perf_counter() - start, 2)
            assert done.status_code == 200
            pages = {
                "customers_tab": f"{base}/authorization/customers",
                "tokens_tab": f"{base}/authorization/tokens",
                "tokens_search": f"{base}/authorization/tokens?add=1&q=04000000001",
                "audit_tab": f"{base}/audit",
            }
            for name, path in pages.items():
                results[name] = await page_latency(client, path, requests)
        await db.dispose()
    return {"benchmark": "portal_authorization", "engine": "sqlite", "tokens": tokens, "requests": requests, **results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.tokens, args.requests)), indent=2))
