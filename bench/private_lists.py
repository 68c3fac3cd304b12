"""Private locations at scale, on SQLite and PostgreSQL. Prints JSON.

- a location whose authorization list holds 100,000 tokens: CSV import times (dry run, real, re-import, and a
  replacing import with clear);
- "is token T authorized at location L?" for 10,000 random tokens (p50/p99);
- the driver API for a customer with 10 tokens among 10,000 locations of which half are private (p50/p99).

    .venv/bin/python bench/private_lists.py [--tokens 100000] [--locations 10000] [--engines sqlite,postgresql]
"""

import argparse
import asyncio
import io
import json
import random
import tempfile
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import insert

from chargedesk.auth.deps import Principal
from chargedesk.auth.keys import create_key
from chargedesk.customers.models import Customer
from chargedesk.db import Database
from chargedesk.ids import new_id
from chargedesk.locations import authorization
from chargedesk.locations.authorization_import import import_list
from chargedesk.locations.models import Location, LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.migrations import upgrade
from chargedesk.organizations import service as organizations
from chargedesk.tokens.models import Token
from common import percentiles, postgres_database, server


def _location_row(org_id: str, name: str, rng: random.Random, now: datetime) -> dict:
    return {
        "id": new_id("loc"),
        "organization_id": org_id,
        "name": name,
        "address": "Main street 1",
        "city": "Utrecht",
        "country": "NLD",
        "latitude": 51.9 + rng.random(),
        "longitude": 4.4 + rng.random(),
        "facilities": [],
        "custom_groups": [],
        "published": True,
        "search_text": name.lower(),
        "created_at": now,
        "updated_at": now,
    }


def _csv(auth_ids: list[str]) -> bytes:
    return ("auth_id\n" + "\n".join(auth_ids) + "\n").encode()


async def _timed_import(db: Database, principal: Principal, location_id: str, content: bytes, **flags) -> dict:
    async with db.sessionmaker() as session:
        started = time.perf_counter()
        report = await import_list(session, principal, location_id, io.BytesIO(content), **flags)
        if report.ok and not flags.get("dry_run"):
            await session.commit()
        seconds = time.perf_counter() - started
    assert report.ok, report.errors[:3]
    keys = ("rows", "added", "already_present", "external", "removed_by_clear")
    return {
        "seconds": round(seconds, 2),
        "rows_per_s": round(report.rows / seconds),
        **{k: getattr(report, k) for k in keys},
    }


async def list_benchmarks(url: str, tokens: int, probes: int) -> dict:
    db = Database(url)
    now = datetime.now(UTC)
    rng = random.Random(3)
    async with db.sessionmaker() as session:
        org = await organizations.create(session, "Bench Operator")
        await session.commit()
    principal = Principal("key:bench", org.id, "admin", frozenset({org.id}))
    async with db.engine.begin() as conn:
        location = _location_row(org.id, "Private depot", rng, now)
        await conn.execute(insert(Location), [location])
    first = [f"NL-BEN-C{i:08d}" for i in range(tokens)]
    second = first[tokens // 2 :] + [f"BE-BEN-C{i:08d}" for i in range(tokens // 2)]
    result = {
        "dry_run": await _timed_import(db, principal, location["id"], _csv(first), dry_run=True),
        "real_new_external_tokens": await _timed_import(db, principal, location["id"], _csv(first)),
        "re_import_unchanged": await _timed_import(db, principal, location["id"], _csv(first)),
        "real_with_clear_half_replaced": await _timed_import(db, principal, location["id"], _csv(second), clear=True),
    }
    async with db.sessionmaker() as session:
        token_ids = [t for (t,) in (await session.execute(Token.__table__.select().with_only_columns(Token.id))).all()]
        sample = [(rng.choice(token_ids), None) for _ in range(probes)]
        samples = []
        hits = 0
        for token_id, customer_id in sample:
            started = time.perf_counter()
            hits += await authorization.is_authorized(session, location["id"], token_id, customer_id)
            samples.append((time.perf_counter() - started) * 1000)
    result["authorized_lookup"] = {**percentiles(samples), "authorized": hits, "target_p99_ms": 2}
    await db.dispose()
    return result


async def seed_driver_network(url: str, locations: int) -> tuple[str, list[str]]:
    """10,000 locations (half private, each private list holding 3 tokens of other customers); a customer with 10
    tokens, authorized at 20 private locations by token and 5 by customer."""
    db = Database(url)
    now = datetime.now(UTC)
    rng = random.Random(5)
    async with db.sessionmaker() as session:
        org = await organizations.create(session, "Driver Bench Operator")
        customer = Customer(id=new_id("cus"), organization_id=org.id, name="Ada", search_text="ada")
        session.add(customer)
        await session.flush()
        _, secret = await create_key(session, org.id, "driver", customer_id=customer.id)
        await session.commit()
    rows = [_location_row(org.id, f"Site {i}", rng, now) for i in range(locations)]
    private = [r["id"] for r in rows[::2]]
    others = [
        {
            "id": new_id("tok"),
            "organization_id": org.id,
            "root_organization_id": org.id,
            "uid": f"{i:08X}",
            "auth_id": f"{i:08X}",
            "auth_key": f"{i:08X}",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(3000)
    ]
    mine = [
        {
            "id": new_id("tok"),
            "organization_id": org.id,
            "root_organization_id": org.id,
            "customer_id": customer.id,
            "uid": f"AA{i:06X}",
            "auth_id": f"AA{i:06X}",
            "auth_key": f"AA{i:06X}",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(10)
    ]
    entries = [{"location_id": loc, "token_id": rng.choice(others)["id"], "added_at": now} for loc in private]
    entries += [{"location_id": loc, "token_id": rng.choice(others)["id"], "added_at": now} for loc in private]
    entries += [{"location_id": loc, "token_id": rng.choice(mine)["id"], "added_at": now} for loc in private[:20]]
    unique = {(e["location_id"], e["token_id"]): e for e in entries}
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), 2000):
            await conn.execute(insert(Location), rows[start : start + 2000])
        await conn.execute(insert(Token), others + mine)
        await conn.execute(insert(LocationAuthorizedToken), list(unique.values()))
        await conn.execute(
            insert(LocationAuthorizedCustomer),
            [{"location_id": loc, "customer_id": customer.id, "added_at": now} for loc in private[20:25]],
        )
        if db.dialect == "postgresql":
            await conn.exec_driver_sql("ANALYZE")
    await db.dispose()
    return secret, private


def driver_benchmarks(url: str, locations: int, requests: int) -> dict:
    secret, _ = asyncio.run(seed_driver_network(url, locations))
    result = {}
    with (
        server(url) as base,
        httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {secret}"}) as client,
    ):
        for name, params in {
            "first_page_50": {"limit": 50},
            "near_25km": {"near": "52.4,4.9", "radius_km": 25, "limit": 50},
        }.items():
            samples = []
            for i in range(requests + 5):
                started = time.perf_counter()
                response = client.get("/driver/locations", params=params)
                if i >= 5:
                    samples.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            result[name] = {**percentiles(samples), "items": len(response.json()["items"]), "target_p99_ms": 50}
        walked, cursor = 0, None
        started = time.perf_counter()
        while True:
            page = client.get("/driver/locations", params={"limit": 1000, **({"cursor": cursor} if cursor else {})})
            walked += len(page.json()["items"])
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
        result["all_visible"] = {"locations": walked, "seconds": round(time.perf_counter() - started, 2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    for engine in args.engines.split(","):
        if engine == "sqlite":
            tmp = tempfile.TemporaryDirectory()
            urls = [f"sqlite+aiosqlite:///{tmp.name}/lists.db", f"sqlite+aiosqlite:///{tmp.name}/driver.db"]
            contexts = [tmp]
        else:
            contexts = [postgres_database(), postgres_database()]
            urls = [c.__enter__() for c in contexts]
        try:
            for url in urls:
                upgrade(url)
            entry = {"engine": engine}
            entry["list_of_100k"] = asyncio.run(list_benchmarks(urls[0], args.tokens, args.probes))
            entry["driver_locations"] = driver_benchmarks(urls[1], args.locations, args.requests)
            results.append(entry)
        finally:
            for context in contexts:
                if hasattr(context, "__exit__"):
                    context.__exit__(None, None, None)
                else:
                    context.cleanup()
    print(json.dumps({"benchmark": "private_lists", "target_import_s": 5, "results": results}, indent=2))


if __name__ == "__main__":
    main()
