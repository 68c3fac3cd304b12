"""A real server on a free port (uvicorn in this process) and real WebSockets for the OCPP tests."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from chargedesk.app import create_app
from chargedesk.auth.passwords import hash_password
from chargedesk.customers.models import Customer
from chargedesk.db import Database
from chargedesk.ids import new_id
from chargedesk.locations.models import Location
from chargedesk.ocpp.gateway import uvicorn_options
from chargedesk.organizations import service as organizations
from chargedesk.stations.models import ChargeStation
from chargedesk.tokens.models import Token


@dataclass
class Server:
    url: str  # ws://127.0.0.1:PORT/ocpp
    api: httpx.AsyncClient  # http://127.0.0.1:PORT/api/v1 with an admin key
    app: Any
    uvicorn: uvicorn.Server


@pytest.fixture
async def server(db: Database, settings, admin) -> AsyncIterator[Server]:
    settings.ocpp_call_timeout = 2.0
    settings.ocpp_max_frame_bytes = 8192
    app = create_app(settings, db=db)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", **uvicorn_options(settings)
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1", headers=admin.headers, timeout=30) as api:
        yield Server(f"ws://127.0.0.1:{port}/ocpp", api, app, srv)
    srv.should_exit = True
    await task


async def add_station(
    db: Database,
    organization_id: str,
    station_id: str = "CP-1",
    *,
    location_id: str | None = None,
    access_mode: str = "public",
    password: str | None = None,
    configuration: dict[str, str] | None = None,
) -> None:
    async with db.sessionmaker() as session:
        session.add(
            ChargeStation(
                id=station_id,
                organization_id=organization_id,
                location_id=location_id,
                access_mode=access_mode,
                password_hash=hash_password(password) if password else None,
                configuration=configuration or {},
                custom_groups=[],
                evses=[],
            )
        )
        await session.commit()


async def add_location(db: Database, organization_id: str) -> str:
    async with db.sessionmaker() as session:
        location = Location(
            id=new_id("loc"),
            organization_id=organization_id,
            name="Depot",
            address="Kade 1",
            city="Utrecht",
            country="NLD",
            latitude=52.1,
            longitude=5.1,
            facilities=[],
            custom_groups=[],
        )
        session.add(location)
        await session.commit()
        return location.id


async def add_customer(db: Database, organization_id: str, name: str = "Fleet BV") -> str:
    async with db.sessionmaker() as session:
        customer = Customer(id=new_id("cus"), organization_id=organization_id, name=name, search_text=name.lower())
        session.add(customer)
        await session.commit()
        return customer.id


async def add_token(db: Database, organization_id: str, uid: str, **fields: Any) -> str:
    async with db.sessionmaker() as session:
        org = await organizations.get(session, organization_id)
        auth_id = fields.pop("auth_id", uid)
        token = Token(
            id=new_id("tok"),
            organization_id=organization_id,
            root_organization_id=org.root_id,
            uid=uid.upper(),
            auth_id=auth_id,
            auth_key=auth_id.upper().replace("-", ""),
            **fields,
        )
        session.add(token)
        await session.commit()
        return token.id


async def next_answer(ws: Any) -> list:
    """The next answer to us on a raw socket; the central system's own CALLs (its desired state) are accepted on
    the way."""
    while True:
        frame = json.loads(await ws.recv())
        if frame[0] != 2:
            return frame
        await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
