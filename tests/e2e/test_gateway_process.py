"""`chargedesk gateway` as its own process on the shared database, driven by `chargedesk simulate`."""

import asyncio
import json
import socket
import sys
from pathlib import Path

from sqlalchemy import func, select

from chargedesk.transactions.models import Transaction
from tests.ocpp.conftest import add_station, add_token

CHARGEDESK = str(Path(sys.executable).parent / "chargedesk")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_gateway_process_and_simulator(db, admin):
    for n in (1, 2):
        await add_station(db, admin.organization_id, f"SIM-{n:05d}", password="pw-123456")
    await add_token(db, admin.organization_id, "04AAAB11CD2345")
    port = _free_port()
    gateway = await asyncio.create_subprocess_exec(
        CHARGEDESK,
        "gateway",
        "--port",
        str(port),
        "--database-url",
        db.url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        simulate = await asyncio.create_subprocess_exec(
            CHARGEDESK,
            "simulate",
            "--url",
            f"ws://127.0.0.1:{port}/ocpp",
            "--stations",
            "2",
            "--password",
            "pw-123456",
            "--id-tags",
            "04AAAB11CD2345",
            "--cycles",
            "1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(simulate.communicate(), 120)
        assert simulate.returncode == 0, (out, err)
        report = json.loads(out.decode().strip().splitlines()[-1])
        assert (report["connected"], report["booted"], report["transactions"]) == (2, 2, 2)
    finally:
        gateway.terminate()
        await gateway.wait()
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Transaction)) == 2
