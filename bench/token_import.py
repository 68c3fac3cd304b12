"""Token import benchmark: the CSV import (dry run and real) against the driver's raw bulk insert of the same rows.

Prints one JSON document. Every measurement runs in its own process, so its peak memory (maxrss) is its own.
Usage: python bench/token_import.py [--rows 100000 1000000] [--engines sqlite postgresql]
The floor reads the same CSV with the csv module and writes the same customers and tokens with sqlite3 executemany
(SQLite) or asyncpg COPY (PostgreSQL) into the same tables, in one transaction, without any checks: what any
importer of this file must at least do.
"""

import argparse
import asyncio
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PG_HOST = os.environ.get("CHARGEDESK_TEST_PG_HOST", "127.0.0.1")
HEADER = ["uid", "auth_id", "visual_number", "type", "customer_external_id", "nickname", "whitelist", "valid_until"]


def generate(path: Path, rows: int) -> None:
    """Realistic rows: 7-byte chip UIDs, every third with a contract ID, 1 customer per 10 tokens."""
    from chargedesk.tokens.identifiers import check_digit

    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            uid = f"04{i:012X}"
            instance = f"C{i:08d}"
            auth = f"NL-BEN-{instance}-{check_digit('NLBEN' + instance)}" if i % 3 == 0 else ""
            writer.writerow(
                [uid, auth, f"NL-BEN-V{i:07d}-1", "RFID", f"CRM-{i // 10}", f"card {i}", "false", "2030-12-31"]
            )


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _fresh(url: str) -> str:
    """Empty the token tables; returns the organisation id the import writes to."""
    from sqlalchemy import text

    from chargedesk.db import Database
    from chargedesk.organizations import service as organizations

    db = Database(url)
    tables = ("location_authorized_tokens", "tokens", "location_authorized_customers", "customers")
    async with db.engine.begin() as conn:
        if db.dialect == "postgresql":  # TRUNCATE: no dead rows left behind to slow down the next run
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))
    async with db.sessionmaker() as session:
        org = await organizations.get_or_create(session, "Bench Operator")
        await session.commit()
    await db.dispose()
    return org.id


async def run_import(url: str, path: Path, dry_run: bool) -> dict[str, object]:
    from chargedesk.auth.deps import Principal
    from chargedesk.db import Database
    from chargedesk.tokens import bulk

    org_id = await _fresh(url)
    db = Database(url)
    principal = Principal("bench", org_id, "admin", frozenset({org_id}))
    start = time.perf_counter()
    async with db.sessionmaker() as session:
        with path.open("rb") as stream:
            report = await bulk.import_tokens(session, principal, stream, dry_run=dry_run)
        assert report.ok, report.errors[:5]
        if not dry_run:
            await session.commit()
    seconds = time.perf_counter() - start
    await db.dispose()
    return {"seconds": seconds, "added": report.added, "peak_mb": _peak_mb()}


async def run_api(url: str, path: Path) -> dict[str, object]:
    """The whole HTTP request: multipart upload, import, commit, report (in-process ASGI, no sockets)."""
    import httpx

    from chargedesk.app import create_app
    from chargedesk.auth.keys import create_key
    from chargedesk.config import Settings
    from chargedesk.db import Database

    org_id = await _fresh(url)
    db = Database(url)
    async with db.sessionmaker() as session:
        _, secret = await create_key(session, org_id, "admin")
        await session.commit()
    app = create_app(Settings(database_url=url), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench/api/v1", timeout=600) as client:
        start = time.perf_counter()
        with path.open("rb") as stream:
            response = await client.post(
                "/tokens/import",
                files={"file": ("t.csv", stream, "text/csv")},
                headers={"Authorization": f"Bearer {secret}"},
            )
        seconds = time.perf_counter() - start
    assert response.status_code == 200, response.text[:500]
    await db.dispose()
    return {"seconds": seconds, "added": response.json()["added"], "peak_mb": _peak_mb()}


def _floor_rows(path: Path, org_id: str) -> tuple[list[tuple], list[tuple]]:
    """The same rows the import writes: a customer per distinct customer_external_id, and the tokens."""
    customers: dict[str, str] = {}
    tokens = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for i, (uid, auth, visual, kind, external_id, nickname, _white, valid) in enumerate(reader):
            auth = auth or uid
            customer_id = customers.get(external_id)
            if customer_id is None:
                customer_id = customers[external_id] = f"cus_{len(customers):026d}"
            tokens.append(
                (f"tok_{i:026d}", org_id, org_id, customer_id, uid, auth, auth.upper(), visual, kind, nickname, valid)
            )
    return [(cid, org_id, ext, ext, ext.lower()) for ext, cid in customers.items()], tokens


_CUSTOMER_COLUMNS = ("id", "organization_id", "name", "external_id", "search_text")
_TOKEN_COLUMNS = (
    "id",
    "organization_id",
    "root_organization_id",
    "customer_id",
    "uid",
    "auth_id",
    "auth_key",
    "visual_number",
    "type",
    "nickname",
    "valid_until",
)


async def run_floor(url: str, path: Path) -> dict[str, object]:
    """Reads the CSV and writes the same customers and tokens with the driver's bulk path, one transaction.
    Columns without server defaults (status, flags, timestamps) are constants in the statement (SQLite) or the
    records (PostgreSQL)."""
    import asyncpg

    org_id = await _fresh(url)
    start = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        conn.execute("PRAGMA foreign_keys=ON")  # as the application's connections do
        conn.execute("PRAGMA synchronous=NORMAL")
        customers, tokens = _floor_rows(path, org_id)
        stamps = "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
        with conn:
            conn.executemany(
                f"INSERT INTO customers ({', '.join(_CUSTOMER_COLUMNS)}, created_at, updated_at) "
                f"VALUES (?, ?, ?, ?, ?, {stamps})",
                customers,
            )
            conn.executemany(
                f"INSERT INTO tokens ({', '.join(_TOKEN_COLUMNS)}, status, whitelist, external, "
                f"max_concurrent_transactions, created_at, updated_at) "
                f"VALUES ({', '.join('?' for _ in _TOKEN_COLUMNS)}, 'active', 0, 0, 1, {stamps})",
                tokens,
            )
        conn.close()
    else:
        from datetime import UTC, date, datetime

        now = datetime.now(UTC)
        customers, tokens = _floor_rows(path, org_id)
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        extra = ("status", "whitelist", "external", "max_concurrent_transactions", "created_at", "updated_at")
        async with conn.transaction():
            await conn.copy_records_to_table(
                "customers",
                records=[c + (now, now) for c in customers],
                columns=[*_CUSTOMER_COLUMNS, "created_at", "updated_at"],
            )
            records = (
                t[:-1]
                + (datetime.combine(date.fromisoformat(t[-1]), datetime.max.time(), UTC) if t[-1] else None,)
                + ("active", False, False, 1, now, now)
                for t in tokens
            )
            await conn.copy_records_to_table("tokens", records=records, columns=[*_TOKEN_COLUMNS, *extra])
        await conn.close()
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}


def _worker(kind: str, url: str, path: str) -> None:
    path_ = Path(path)
    if kind == "floor":
        result = asyncio.run(run_floor(url, path_))
    elif kind == "api":
        result = asyncio.run(run_api(url, path_))
    else:
        result = asyncio.run(run_import(url, path_, dry_run=kind == "dry_run"))
    print(json.dumps(result))


def _measure(kind: str, url: str, path: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, url, str(path)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _database(engine: str, workdir: Path) -> tuple[str, object]:
    from chargedesk.migrations import upgrade

    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(url)
        return url, None
    import asyncpg

    name = f"chargedesk_bench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        conn = await asyncpg.connect(f"postgresql://postgres@{PG_HOST}:5432/postgres")
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(create())
    url = f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    upgrade(url)
    return url, name


def _drop(name: object) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(f"postgresql://postgres@{PG_HOST}:5432/postgres")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    asyncio.run(drop())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--api-max-rows", type=int, default=100_000, help="Also time the HTTP request up to this size.")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for rows in args.rows:
            path = workdir / f"tokens-{rows}.csv"
            generate(path, rows)
            for engine in args.engines:
                url, pg_name = _database(engine, workdir)
                try:
                    floor = _measure("floor", url, path)
                    entry: dict[str, object] = {
                        "engine": engine,
                        "rows": rows,
                        "file_mb": round(path.stat().st_size / 1e6, 1),
                        "floor": _summary(floor, rows),
                    }
                    kinds = ["dry_run", "real"] + (["api"] if rows <= args.api_max_rows else [])
                    for kind in kinds:
                        result = _measure(kind, url, path)
                        entry[kind] = {
                            **_summary(result, rows),
                            "ratio_to_floor": round(result["seconds"] / floor["seconds"], 2),
                        }
                    results.append(entry)
                    print(json.dumps(entry), file=sys.stderr)
                finally:
                    if pg_name:
                        _drop(pg_name)
                    elif (workdir / "bench.db").exists():
                        for suffix in ("", "-wal", "-shm"):
                            Path(f"{workdir / 'bench.db'}{suffix}").unlink(missing_ok=True)
    print(json.dumps({"benchmark": "token_import", "cpus": os.cpu_count(), "results": results}, indent=2))


def _summary(result: dict[str, object], rows: int) -> dict[str, object]:
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds), "peak_mb": result["peak_mb"]}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(*sys.argv[2:5])
    else:
        main()
