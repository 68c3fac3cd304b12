"""Shared pieces of the benchmarks: a server in a subprocess, a scratch PostgreSQL database, percentiles."""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import httpx

PG_HOST = os.environ.get("CHARGEDESK_TEST_PG_HOST", "127.0.0.1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2), "max_ms": round(ordered[-1], 2), "n": len(ordered)}


async def page_latency(client: httpx.AsyncClient, path: str, requests: int) -> dict[str, float]:
    """GET `path` `requests` times (each must answer 200): the median and 95th percentile in milliseconds."""
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = await client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1)}


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"chargedesk_bench_{uuid.uuid4().hex[:10]}"
    admin_dsn = f"postgresql://postgres@{PG_HOST}:5432/postgres"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def server(database_url: str, *extra: str) -> Iterator[str]:
    """`chargedesk serve` in a subprocess; yields its base URL."""
    port = free_port()
    env = dict(os.environ, CHARGEDESK_LOG_LEVEL="warning")
    process = subprocess.Popen(
        [sys.executable, "-m", "chargedesk", "serve", "--port", str(port), "--database-url", database_url, *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start: " + process.stderr.read().decode() if process.stderr else "")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
