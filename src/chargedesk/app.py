"""Builds the ASGI app: the REST API, and (when enabled) the portal and the OCPP endpoint."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from chargedesk import __version__, errors
from chargedesk.audit.router import router as audit_router
from chargedesk.authorization.router import router as unknown_ids_router
from chargedesk.config import Settings, get_settings
from chargedesk.customers.router import router as customers_router
from chargedesk.db import Database
from chargedesk.driver.router import operator_router as driver_keys_router
from chargedesk.driver.router import router as driver_router
from chargedesk.locations import events
from chargedesk.locations.authorization_router import router as authorization_router
from chargedesk.locations.router import router as locations_router
from chargedesk.ocpp import desired_state, local_lists
from chargedesk.ocpp.bus import InProcessBus
from chargedesk.ocpp.gateway import Gateway, OcppMiddleware
from chargedesk.ocpp.router import router as ocpp_router
from chargedesk.organizations.router import router as organizations_router
from chargedesk.portal import web as portal
from chargedesk.stations.router import router as stations_router
from chargedesk.tokens.router import router as tokens_router
from chargedesk.transactions.router import router as transactions_router

API_PREFIX = "/api/v1"

DESCRIPTION = """
The chargedesk API: everything the portal does, for your CRM, BI warehouse, installer and customer apps.

Authenticate with `Authorization: Bearer <api key>` (`chargedesk api-key create`). A key sees its
organisation and the organisations below it. Errors are `application/problem+json` (RFC 9457).
Lists are paginated with `limit` (max 1000) and `cursor`, and take `updated_since` for incremental sync.
"""


def api_router() -> APIRouter:
    api = APIRouter(prefix=API_PREFIX)
    routers = (
        organizations_router,
        locations_router,
        authorization_router,
        stations_router,
        ocpp_router,
        transactions_router,
        unknown_ids_router,
        driver_keys_router,
        driver_router,
        audit_router,
        customers_router,
        tokens_router,
    )
    for router in routers:
        api.include_router(router)
    return api


async def _send_local_lists(location_id: str, removed: bool) -> None:
    local_lists.location_list_changed(location_id, removed)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = db or Database(settings.database_url)

    gateway = Gateway(settings, database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        maintenance = asyncio.ensure_future(gateway.run_maintenance())
        yield
        maintenance.cancel()
        await gateway.close()
        if db is None:
            await database.dispose()

    app = FastAPI(
        title="chargedesk",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.gateway = gateway
    app.state.bus = InProcessBus(gateway)
    desired_state.install(gateway, app.state.bus)
    events.listen(app, _send_local_lists)
    errors.install(app)
    app.include_router(api_router())
    portal.install(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.add_middleware(OcppMiddleware, gateway=gateway)
    return app
