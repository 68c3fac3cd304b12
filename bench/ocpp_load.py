"""OCPP load: N stations over loopback against `chargedesk serve` (SQLite) and against the bare-library
baseline (bench/baseline_server.py), with the same load. Prints one JSON object.

    .venv/bin/python bench/ocpp_load.py --stations 10000 --workers 4

Phases per server: boot storm (every station connects, BootNotification, StatusNotification), idle hold
(server RSS per station), Authorize for --seconds with --concurrency requests always outstanding (closed loop:
the server's capacity, and its latency when saturated), full transactions (StartTransaction +
StopTransaction) the same way, and Authorize at a steady --rate per second across all stations (open loop:
the latency a card sees under that load). chargedesk runs with the message log on and off.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- worker: a share of the stations, driven by commands on stdin ---------------------------------------------
async def worker(url: str, first: int, count: int) -> None:
    from websockets.asyncio.client import connect

    answers = {"GetLocalListVersion": {"listVersion": 0}}
    clients: list = []
    errors: list[str] = []
    seq = iter(range(1, 1 << 62))

    class Client:
        __slots__ = ("ws", "waiting", "id", "reader")

        def __init__(self, ws, station_id):
            self.ws, self.waiting, self.id = ws, {}, station_id
            self.reader = asyncio.create_task(self.read())

        async def read(self):
            try:
                async for raw in self.ws:
                    msg = json.loads(raw)
                    if msg[0] == 2:  # the central system's CALLs (desired state): accept
                        await self.ws.send(json.dumps([3, msg[1], answers.get(msg[2], {"status": "Accepted"})]))
                    elif (future := self.waiting.pop(msg[1], None)) is not None:
                        future.set_result(msg)
            except Exception as exc:
                errors.append(f"{self.id}: {exc!r}"[:200])

        async def call(self, action, payload):
            message_id = str(next(seq))
            future = asyncio.get_running_loop().create_future()
            self.waiting[message_id] = future
            await self.ws.send(json.dumps([2, message_id, action, payload]))
            answer = await asyncio.wait_for(future, 30)
            if answer[0] != 3:
                raise RuntimeError(f"{action}: {answer}")
            return answer[2]

    gate = asyncio.Semaphore(100)

    async def boot(n: int) -> None:
        station_id = f"BENCH{n:05d}"
        try:
            async with gate:
                ws = await connect(
                    f"{url}/{station_id}",
                    subprotocols=["ocpp1.6"],
                    open_timeout=120,
                    ping_interval=None,
                    compression=None,
                    max_queue=4,
                )
                client = Client(ws, station_id)
                await client.call("BootNotification", {"chargePointVendor": "bench", "chargePointModel": "load"})
                await client.call(
                    "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
                )
            clients.append(client)
        except Exception as exc:
            errors.append(f"{station_id}: {exc!r}"[:200])

    def say(**data) -> None:
        print(json.dumps(data), flush=True)

    started = time.perf_counter()
    await asyncio.gather(*(boot(n) for n in range(first, first + count)))
    say(
        event="booted",
        connected=len(clients),
        seconds=time.perf_counter() - started,
        errors=errors[:5],
        error_count=len(errors),
    )

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        command, seconds, concurrency = line[0], float(line[1]), int(line[2])
        latencies: list[float] = []
        failures = 0
        end = time.monotonic() + seconds

        async def run(k: int, command: str, end: float, latencies: list[float]) -> None:
            nonlocal failures
            meter = 0
            while time.monotonic() < end:
                client = clients[k % len(clients)]
                tag = f"T{client.id}"
                t0 = time.perf_counter()
                try:
                    if command == "auth":
                        await client.call("Authorize", {"idTag": tag})
                    else:
                        stamp = datetime.now(UTC).isoformat()
                        begin = {"connectorId": 1, "idTag": tag, "meterStart": meter, "timestamp": stamp}
                        started_tx = await client.call("StartTransaction", begin)
                        meter += 1000
                        stop = {"transactionId": started_tx["transactionId"], "meterStop": meter, "timestamp": stamp}
                        await client.call("StopTransaction", stop)
                    latencies.append(time.perf_counter() - t0)
                except Exception as exc:
                    failures += 1
                    if len(errors) < 50:
                        errors.append(repr(exc)[:200])

        async def one(client, t0: float, latencies: list[float]) -> None:
            nonlocal failures
            try:
                await client.call("Authorize", {"idTag": f"T{client.id}"})
                latencies.append(time.perf_counter() - t0)
            except Exception as exc:
                failures += 1
                if len(errors) < 50:
                    errors.append(repr(exc)[:200])

        if command == "rate":  # open loop: `concurrency` Authorize per second, spread over every station
            pending, start, n = [], time.perf_counter(), 0
            while time.monotonic() < end:
                due = start + n / concurrency
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                pending.append(asyncio.ensure_future(one(clients[n % len(clients)], time.perf_counter(), latencies)))
                n += 1
            await asyncio.gather(*pending)
        else:
            await asyncio.gather(*(run(k, command, end, latencies) for k in range(min(concurrency, len(clients)))))
        say(
            event=command,
            count=len(latencies),
            failures=failures,
            latencies=[round(x, 5) for x in latencies[:: max(1, len(latencies) // 5000)]],
        )
    say(event="done")


# -- the driver ------------------------------------------------------------------------------------------------
def prepare(db_url: str, stations: int) -> None:
    """Register the stations, ten to a (public) location as on real sites, and one token per station
    (T<station id>) in a fresh database."""
    import asyncio as aio

    from sqlalchemy import insert

    from chargedesk.db import Database
    from chargedesk.migrations import upgrade
    from chargedesk.models import ChargeStation, Location, Organization, Token

    upgrade(db_url)

    async def fill() -> None:
        db = Database(db_url)
        async with db.sessionmaker() as session:
            await session.execute(insert(Organization), [{"id": "org_bench", "root_id": "org_bench", "name": "Bench"}])
            ids = [f"BENCH{n:05d}" for n in range(1, stations + 1)]
            site = {"organization_id": "org_bench", "address": "Bench 1", "city": "Utrecht", "country": "NLD"}
            sites = [f"loc_bench{n:04d}" for n in range(-(-stations // 10))]
            await session.execute(
                insert(Location),
                [{"id": i, "name": i, "latitude": 52.09, "longitude": 5.12, **site} for i in sites],
            )
            base = {"organization_id": "org_bench", "configuration": {}, "custom_groups": [], "evses": []}
            await session.execute(
                insert(ChargeStation), [{"id": i, "location_id": sites[n // 10], **base} for n, i in enumerate(ids)]
            )
            tokens = [
                {
                    "id": f"tok_{i}",
                    "organization_id": "org_bench",
                    "root_organization_id": "org_bench",
                    "uid": f"T{i}",
                    "auth_id": f"T{i}",
                    "auth_key": f"T{i}",
                }
                for i in ids
            ]
            await session.execute(insert(Token), tokens)
            await session.commit()
        await db.dispose()

    aio.run(fill())


def start_server(kind: str, port: int, db_url: str, logging_on: bool) -> subprocess.Popen:
    env = os.environ | {
        "CHARGEDESK_DATABASE_URL": db_url,
        "CHARGEDESK_MESSAGE_LOG_ENABLED": "true" if logging_on else "false",
        "CHARGEDESK_LOG_LEVEL": "warning",
    }
    if kind == "baseline":
        cmd = [PY, str(ROOT / "bench" / "baseline_server.py"), "--port", str(port)]
    else:
        cmd = [str(Path(PY).parent / "chargedesk"), "serve", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{kind} server did not start")


def run_target(kind: str, args: argparse.Namespace, logging_on: bool = True) -> dict:
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="ocpp-bench-")
    db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    if kind != "baseline":
        prepare(db_url, args.stations)
    server = start_server(kind, port, db_url, logging_on)
    time.sleep(1.0)
    rss_before = rss_kib(server.pid)
    per = -(-args.stations // args.workers)
    workers = [
        subprocess.Popen(
            [
                PY,
                __file__,
                "--worker",
                f"ws://127.0.0.1:{port}/ocpp",
                str(1 + w * per),
                str(min(per, args.stations - w * per)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(args.workers)
        if args.stations - w * per > 0
    ]
    result: dict = {
        "server": kind,
        "message_log": logging_on if kind != "baseline" else None,
        "stations": args.stations,
    }
    try:
        t0 = time.perf_counter()
        booted = [json.loads(w.stdout.readline()) for w in workers]
        result["boot_storm_seconds"] = round(time.perf_counter() - t0, 2)
        result["connections_held"] = sum(b["connected"] for b in booted)
        result["boot_errors"] = sum(b["error_count"] for b in booted)
        result["boot_error_samples"] = [e for b in booted for e in b["errors"]][:3]
        time.sleep(args.settle)
        rss_idle = rss_kib(server.pid)
        result["server_rss_kib"] = {"before": rss_before, "idle_with_stations": rss_idle}
        result["rss_kib_per_station"] = round((rss_idle - rss_before) / max(1, result["connections_held"]), 1)
        for phase in ("auth", "tx", "rate"):
            load = args.rate if phase == "rate" else args.concurrency
            for w in workers:
                w.stdin.write(f"{phase} {args.seconds} {max(1, load // len(workers))}\n")
                w.stdin.flush()
            answers = [json.loads(w.stdout.readline()) for w in workers]
            latencies = [x for a in answers for x in a["latencies"]]
            count = sum(a["count"] for a in answers)
            name = {"auth": "authorize", "tx": "transactions", "rate": f"authorize_at_{args.rate}_per_second"}[phase]
            result[name] = {
                "per_second": round(count / args.seconds, 1),
                "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
                "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
                "errors": sum(a["failures"] for a in answers),
            }
        for w in workers:
            w.stdin.close()
            w.wait(timeout=120)
        result["connections_held_after_load"] = result["connections_held"] if server.poll() is None else 0
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        server.terminate()
        server.wait(timeout=60)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--rate", type=int, default=1000, help="Authorize/s of the open-loop latency phase")
    parser.add_argument("--skip-log-off", action="store_true")
    args = parser.parse_args()
    runs = [run_target("chargedesk", args, True), run_target("baseline", args)]
    if not args.skip_log_off:
        runs.append(run_target("chargedesk", args, False))
    chargedesk, baseline = runs[0], runs[1]
    rate = f"authorize_at_{args.rate}_per_second"
    summary = {
        "connections_held": chargedesk["connections_held"],
        "boot_errors": chargedesk["boot_errors"],
        "boot_storm_seconds": chargedesk["boot_storm_seconds"],
        "rss_kib_per_station": chargedesk["rss_kib_per_station"],
        "authorize_vs_baseline": round(
            chargedesk["authorize"]["per_second"] / max(1e-9, baseline["authorize"]["per_second"]), 2
        ),
        "authorize_p99_ms_saturated": chargedesk["authorize"]["p99_ms"],
        f"{rate}_p99_ms": chargedesk[rate]["p99_ms"],
        "transactions_per_second": chargedesk["transactions"]["per_second"],
    }
    if len(runs) > 2:
        off = runs[2]
        summary["logging_cost"] = round(
            1 - chargedesk["authorize"]["per_second"] / max(1e-9, off["authorize"]["per_second"]), 2
        )
    print(json.dumps({"benchmark": "ocpp_load", "runs": runs, "summary": summary}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        asyncio.run(worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        main()
