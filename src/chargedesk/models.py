"""Every table, imported in dependency order, for Alembic and for code that needs the whole metadata."""

from chargedesk.audit.models import AuditEvent
from chargedesk.auth.models import ApiKey
from chargedesk.authorization.models import UnknownId
from chargedesk.customers.models import Customer
from chargedesk.db import Base
from chargedesk.locations.models import Location, LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.ocpp.models import OcppMessage, StationOcppState
from chargedesk.organizations.models import Organization
from chargedesk.portal.models import PortalUser
from chargedesk.stations.models import ChargeStation, ConnectorStatus
from chargedesk.tokens.models import Token
from chargedesk.transactions.models import Transaction

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "ChargeStation",
    "ConnectorStatus",
    "Customer",
    "Location",
    "LocationAuthorizedCustomer",
    "LocationAuthorizedToken",
    "Organization",
    "PortalUser",
    "Token",
    "Transaction",
    "UnknownId",
    "OcppMessage",
    "StationOcppState",
]
