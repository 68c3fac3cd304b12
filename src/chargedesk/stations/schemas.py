import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from chargedesk.schemas import CustomGroups, Maintenance, Out, Strict, partial

# OCPP identifierString without ':' (a ':' would break HTTP Basic auth, whose username is the identity).
IDENTITY = re.compile(r"^[A-Za-z0-9*\-_=+|@.]{1,48}$")


def check_identity(value: str) -> str:
    if not IDENTITY.match(value):
        if ":" in value:
            raise ValueError("a station id may not contain ':' (HTTP Basic auth uses the id as username)")
        raise ValueError("a station id is its OCPP identity: 1-48 characters of letters, digits and * - _ = + | @ .")
    return value


StationId = Annotated[str, AfterValidator(check_identity)]


class ConnectorStandard(StrEnum):
    """OCPI 2.2.1 ConnectorType."""

    CHADEMO = "CHADEMO"
    CHAOJI = "CHAOJI"
    DOMESTIC_A = "DOMESTIC_A"
    DOMESTIC_B = "DOMESTIC_B"
    DOMESTIC_C = "DOMESTIC_C"
    DOMESTIC_D = "DOMESTIC_D"
    DOMESTIC_E = "DOMESTIC_E"
    DOMESTIC_F = "DOMESTIC_F"
    DOMESTIC_G = "DOMESTIC_G"
    DOMESTIC_H = "DOMESTIC_H"
    DOMESTIC_I = "DOMESTIC_I"
    DOMESTIC_J = "DOMESTIC_J"
    DOMESTIC_K = "DOMESTIC_K"
    DOMESTIC_L = "DOMESTIC_L"
    DOMESTIC_M = "DOMESTIC_M"
    DOMESTIC_N = "DOMESTIC_N"
    DOMESTIC_O = "DOMESTIC_O"
    GBT_AC = "GBT_AC"
    GBT_DC = "GBT_DC"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    IEC_62196_T3A = "IEC_62196_T3A"
    IEC_62196_T3C = "IEC_62196_T3C"
    NEMA_5_20 = "NEMA_5_20"
    NEMA_6_30 = "NEMA_6_30"
    NEMA_6_50 = "NEMA_6_50"
    NEMA_10_30 = "NEMA_10_30"
    NEMA_10_50 = "NEMA_10_50"
    NEMA_14_30 = "NEMA_14_30"
    NEMA_14_50 = "NEMA_14_50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class ConnectorFormat(StrEnum):
    SOCKET = "SOCKET"
    CABLE = "CABLE"


class PowerType(StrEnum):
    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class AccessMode(StrEnum):
    public = "public"
    whitelist = "whitelist"


class Availability(StrEnum):
    operative = "operative"
    inoperative = "inoperative"


class Connector(Strict):
    id: int = Field(ge=1, description="The OCPP connectorId; unique within the station.")
    standard: ConnectorStandard
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: int = Field(gt=0, le=2000, description="Volts")
    max_amperage: int = Field(gt=0, le=2000, description="Amperes")
    max_electric_power: int | None = Field(None, gt=0, description="Watts")


class Evse(Strict):
    evse_id: int = Field(ge=1, description="The OCPP 2.0.1 EVSE number, 1 and up.")
    physical_reference: str | None = Field(None, max_length=16, description="The label on the EVSE.")
    emi3_id: str | None = Field(None, max_length=48, description="eMI3 EVSE ID, e.g. NL*TNM*E12345*1.")
    connectors: list[Connector] = Field(min_length=1)


def _unique_evses(evses: list[Evse]) -> list[Evse]:
    seen_evses: set[int] = set()
    seen_connectors: set[int] = set()
    for evse in evses:
        if evse.evse_id in seen_evses:
            raise ValueError(f"evse_id {evse.evse_id} appears twice; each EVSE needs its own number")
        seen_evses.add(evse.evse_id)
        for connector in evse.connectors:
            if connector.id in seen_connectors:
                raise ValueError(f"connector id {connector.id} appears twice; connector ids are unique per station")
            seen_connectors.add(connector.id)
    return evses


Evses = Annotated[list[Evse], AfterValidator(_unique_evses)]


class StationFields(Strict):
    organization_id: str | None = Field(None, description="Defaults to the API key's organisation.")
    location_id: str | None = Field(None, description="The location the station stands at.")
    vendor: str | None = Field(None, max_length=50)
    model: str | None = Field(None, max_length=50)
    serial_number: str | None = Field(None, max_length=50)
    charger_type: str | None = Field(None, max_length=50, description="e.g. AC wallbox, DC fast charger")
    access_mode: AccessMode = AccessMode.public
    tariff_code: str | None = Field(None, max_length=50)
    availability: Availability = Availability.operative
    configuration: dict[Annotated[str, Field(min_length=1, max_length=50)], Annotated[str, Field(max_length=500)]] = (
        Field(default_factory=dict, description="OCPP configuration keys and values to apply to the station.")
    )
    custom_groups: CustomGroups = Field(default_factory=list)
    remarks: str | None = Field(None, max_length=10000)
    maintenance: Maintenance | None = None
    evses: Evses = Field(default_factory=list)


class StationCreate(StationFields):
    id: StationId = Field(description="The OCPP identity: the last part of ws://…/ocpp/{id}.")
    password: str | None = Field(
        None, min_length=16, max_length=40, description="HTTP Basic password (write-only, stored hashed)."
    )


StationPatch = partial(StationFields, "StationPatch")


class PasswordIn(Strict):
    password: str | None = Field(
        min_length=16,
        max_length=40,
        description="16-40 characters (OCPP security profile 1); null removes it.",
    )

    @field_validator("password")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ValueError("the password must be printable characters")
        return value


class LinkIn(Strict):
    location_id: str


class ConnectorStatusOut(Out):
    connector_id: int
    evse_id: int | None
    status: str
    error_code: str | None
    info: str | None
    vendor_error_code: str | None
    at: datetime


class StationOut(Out):
    id: str
    organization_id: str
    location_id: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    charger_type: str | None
    access_mode: str
    tariff_code: str | None
    availability: str
    configuration: dict[str, str]
    custom_groups: list[str]
    remarks: str | None
    maintenance: Maintenance | None
    evses: list[Evse]
    has_password: bool
    ocpp_version: str | None
    firmware_version: str | None
    online: bool
    last_seen: datetime | None
    connector_statuses: list[ConnectorStatusOut]
    created_at: datetime
    updated_at: datetime
