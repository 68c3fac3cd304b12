"""Every table, imported in dependency order, for Alembic and for code that needs the whole metadata."""

from chargedesk.auth.models import ApiKey
from chargedesk.authorization.models import UnknownId
from chargedesk.customers.models import Customer
from chargedesk.db import Base
from chargedesk.locations.models import Location, LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.ocpp.models import OcppMessage, StationOcppState
from chargedesk.organizations.models import Organization
from chargedesk.stations.models import ChargeStation, ConnectorStatus
from chargedesk.tokens.models import Token
from chargedesk.transactions.models import Transaction

__all__ = [
    "ApiKey",
    "Base",
    "ChargeStation",
    "ConnectorStatus",
    "Customer",
    "Location",
    "LocationAuthorizedCustomer",
    "LocationAuthorizedToken",
    "Organization",
    "Token",
    "Transaction",
    "UnknownId",
    "OcppMessage",
    "StationOcppState",
]
