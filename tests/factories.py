"""Request bodies for tests."""

from typing import Any


def location_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Station Square",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012 AB",
        "country": "NLD",
        "coordinates": {"latitude": 52.3791, "longitude": 4.9003},
        "time_zone": "Europe/Amsterdam",
        "parking_type": "PARKING_LOT",
        "facilities": ["CAFE", "WIFI"],
        "custom_groups": ["city-centre"],
        "remarks": "Entrance via the north side.",
        "maintenance": {"status": "ok", "notes": "annual check done", "last_visit": "2026-10-01"},
    }
    body.update(overrides)
    return body


def connector(connector_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 400,
        "max_amperage": 32,
        "max_electric_power": 22000,
        **overrides,
    }


def station_body(station_id: str = "CP-0001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": station_id,
        "vendor": "Alfen",
        "model": "Eve Double Pro",
        "serial_number": "ACE0012345",
        "charger_type": "AC wallbox",
        "access_mode": "public",
        "tariff_code": "AC-STANDARD",
        "configuration": {"HeartbeatInterval": "300"},
        "custom_groups": ["north"],
        "evses": [{"evse_id": 1, "connectors": [connector(1)]}, {"evse_id": 2, "connectors": [connector(2)]}],
    }
    body.update(overrides)
    return body
