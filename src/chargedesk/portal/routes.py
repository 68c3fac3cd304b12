"""Every portal page; each route module builds its pages on the domain services, scoped by the Viewer."""

from fastapi import APIRouter, Depends

from chargedesk.portal import (
    routes_auth,
    routes_authorization,
    routes_authorization_import,
    routes_customers,
    routes_locations,
    routes_organizations,
    routes_pass_import,
    routes_passes,
    routes_station_ops,
    routes_stations,
    routes_transactions,
    routes_unknown_cards,
)
from chargedesk.portal.session import check_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
# routes_pass_import before routes_passes: /passes/import is not a pass id.
modules = (
    routes_auth,
    routes_locations,
    routes_stations,
    routes_station_ops,
    routes_organizations,
    routes_customers,
    routes_pass_import,
    routes_transactions,
    routes_unknown_cards,
)
for module in (*modules, routes_passes):
    router.include_router(module.router)
# The import's paths first: /authorization/tokens/import is not a list entry.
for module in (routes_authorization_import, routes_authorization):
    router.include_router(module.router)
