"""Latency of the locations API over 100,000 locations, on SQLite and PostgreSQL. Prints JSON.

.venv/bin/python bench/api_locations.py [--rows 100000] [--requests 500] [--engines sqlite,postgresql]
"""

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import insert

from chargedesk.auth.keys import create_key
from chargedesk.db import Database
from chargedesk.ids import new_id
from chargedesk.locations.models import Location
from chargedesk.migrations import upgrade
from chargedesk.organizations import service as organizations
from common import percentiles, postgres_database, server

CITIES = [
    "Amsterdam",
    "Rotterdam",
    "Utrecht",
    "Den Haag",
    "Eindhoven",
    "Groningen",
    "Tilburg",
    "Almere",
    "Breda",
    "Nijmegen",
    "Arnhem",
    "Haarlem",
    "Enschede",
    "Apeldoorn",
    "Amersfoort",
    "Zaanstad",
    "Zwolle",
    "Leiden",
    "Maastricht",
    "Dordrecht",
]
GROUPS = ["fast", "residential", "fleet", "retail", "municipal", "hotel"]


async def seed(url: str, rows: int) -> tuple[str, list[str]]:
    db = Database(url)
    rng = random.Random(7)
    async with db.sessionmaker() as session:
        operator = await organizations.create(session, "Bench Operator")
        subs = [await organizations.create(session, f"Bench Sub {i}", operator.id) for i in range(5)]
        _, secret = await create_key(session, operator.id, "admin")
        await session.commit()
    org_ids = [operator.id] + [s.id for s in subs]
    ids: list[str] = []
    now = datetime.now(UTC)
    batch = []
    async with db.engine.begin() as conn:
        for i in range(rows):
            city = rng.choice(CITIES)
            name = f"Charging hub {i:06d}"
            address = f"Main street {rng.randint(1, 500)}"
            location_id = new_id("loc")
            ids.append(location_id)
            batch.append(
                {
                    "id": location_id,
                    "organization_id": rng.choice(org_ids),
                    "name": name,
                    "address": address,
                    "city": city,
                    "postal_code": f"{rng.randint(1000, 9999)} AB",
                    "country": "NLD",
                    "latitude": 50.8 + rng.random() * 2.5,
                    "longitude": 3.4 + rng.random() * 3.7,
                    "facilities": [],
                    "custom_groups": rng.sample(GROUPS, 2),
                    "published": rng.random() < 0.9,
                    "search_text": f"{name} {address} {city}".lower(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000:
                await conn.execute(insert(Location), batch)
                batch = []
        if batch:
            await conn.execute(insert(Location), batch)
        if db.dialect == "postgresql":
            await conn.exec_driver_sql("ANALYZE")
    await db.dispose()
    return secret, ids


def measure(client: httpx.Client, path: str, params: dict | None, n: int) -> dict:
    samples = []
    for _ in range(5):  # warm-up
        client.get(path, params=params).raise_for_status()
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path, params=params)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return percentiles(samples)


def run_engine(engine: str, url: str, rows: int, n: int) -> dict:
    upgrade(url)
    started = time.perf_counter()
    secret, ids = asyncio.run(seed(url, rows))
    seeded = time.perf_counter() - started
    result: dict = {"engine": engine, "rows": rows, "seed_seconds": round(seeded, 1)}
    with (
        server(url) as base,
        httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {secret}"}) as client,
    ):
        # a cursor deep in the list: walk to it once (limit 1000) and keep it
        cursor = None
        for _ in range(int(rows * 0.9) // 1000):
            cursor = client.get("/locations", params={"limit": 1000, **({"cursor": cursor} if cursor else {})}).json()[
                "next_cursor"
            ]
        rng = random.Random(1)
        sample_ids = rng.sample(ids, 50)
        result["first_page"] = measure(client, "/locations", {"limit": 50}, n)
        result["deep_cursor_page"] = measure(client, "/locations", {"limit": 50, "cursor": cursor}, n)
        result["q_city"] = measure(client, "/locations", {"limit": 50, "q": "utrecht"}, n)
        result["q_rare"] = measure(client, "/locations", {"limit": 50, "q": f"hub {rows - 7:06d}"}, n)
        samples = []
        for i in range(n):
            start = time.perf_counter()
            client.get(f"/locations/{sample_ids[i % len(sample_ids)]}").raise_for_status()
            samples.append((time.perf_counter() - start) * 1000)
        result["get_by_id"] = percentiles(samples)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    for engine in args.engines.split(","):
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                results.append(run_engine(engine, f"sqlite+aiosqlite:///{tmp}/bench.db", args.rows, args.requests))
        else:
            with postgres_database() as url:
                results.append(run_engine(engine, url, args.rows, args.requests))
    print(json.dumps({"benchmark": "api_locations", "target_p99_ms": 20, "results": results}, indent=2))


if __name__ == "__main__":
    main()
