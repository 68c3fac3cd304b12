"""Portal page latency: the app in-process (httpx ASGI transport) on SQLite with many locations and stations.

Prints JSON: per page, the median and 95th percentile in milliseconds over --requests requests.
  .venv/bin/python bench/portal_pages.py [--locations 2000] [--requests 50]
"""

import argparse
import asyncio
import json
import re
import tempfile
from pathlib import Path

import httpx

from chargedesk.app import create_app
from chargedesk.config import Settings
from chargedesk.db import Database
from chargedesk.ids import new_id
from chargedesk.locations.models import Location
from chargedesk.migrations import upgrade
from chargedesk.organizations import service as organizations
from chargedesk.portal import users
from chargedesk.stations.models import ChargeStation
from common import page_latency

PASSWORD = "benchmark password"
T2 = {
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": 400,
    "max_amperage": 32,
}


async def seed(db: Database, count: int) -> str:
    async with db.sessionmaker() as session:
        org = await organizations.create(session, "Bench Operator")
        await users.create(session, "bench@example.com", PASSWORD, org.id, "admin")
        first = ""
        for n in range(count):
            location = Location(
                id=new_id("loc"), organization_id=org.id, name=f"Site {n:05}", address=f"Street {n}", city="Utrecht",
                country="NLD", latitude=52.0, longitude=5.1, custom_groups=[f"g{n % 10}"], published=True,
                search_text=f"site {n:05} street {n} utrecht",
            )  # fmt: skip
            session.add(location)
            first = first or location.id
            session.add(
                ChargeStation(
                    id=f"CP-{n:05}",
                    organization_id=org.id,
                    location_id=location.id,
                    evses=[{"evse_id": 1, "connectors": [{**T2, "id": 1}]}],
                )  # fmt: skip
            )
        await session.commit()
        return first


async def main(locations: int, requests: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        location_id = await seed(db, locations)
        app = create_app(Settings(database_url=url), db=db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/login")).text).group(1)
            form = {"csrf_token": token, "email": "bench@example.com", "password": PASSWORD}
            assert (await client.post("/login", data=form)).status_code == 303
            pages = {
                "dashboard": "/",
                "locations": "/locations",
                "locations_search": "/locations?q=site%2001",
                "locations_group": "/locations?custom_group=g3",
                "location": f"/locations/{location_id}",
                "location_edit": f"/locations/{location_id}/edit",
                "stations": "/stations",
                "station": "/stations/CP-00001",
            }
            results: dict[str, object] = {}
            for name, path in pages.items():
                results[name] = await page_latency(client, path, requests)
        await db.dispose()
    return {
        "benchmark": "portal_pages",
        "engine": "sqlite",
        "location_count": locations,
        "requests": requests,
        **results,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--locations", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.locations, args.requests)), indent=2))
