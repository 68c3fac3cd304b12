"""Form fields ⇄ API bodies. Inputs are named by the API's field paths ("coordinates.latitude"), so an API
validation error lands next to the input it is about. Lists that the API takes as arrays are edited as text,
one item per line, and a bad line is reported with its number."""

from collections.abc import Iterable
from typing import Any

from starlette.datastructures import FormData

from chargedesk.locations.schemas import LocationOut
from chargedesk.stations.schemas import StationOut

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def options(values: Iterable[str]) -> list[tuple[str, str]]:
    """Menu options for API enum values: PARKING_LOT → "Parking lot", needs_attention → "Needs attention"."""
    return [(v, v.replace("_", " ").capitalize()) for v in values]


class FormError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    value = value.strip() if isinstance(value, str) else ""
    return value or None


def groups(form: FormData, name: str = "custom_groups") -> list[str]:
    return [g.strip() for g in (text(form, name) or "").split(",") if g.strip()]


def _lines(value: str | None) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate((value or "").splitlines(), 1) if line.strip()]


def parse_hours(value: str | None) -> list[dict[str, Any]]:
    """'Mon 08:00-18:00' per line → OCPI regular_hours."""
    hours = []
    for n, line in _lines(value):
        day, _, period = line.partition(" ")
        begin, _, end = period.strip().partition("-")
        if day[:3].title() not in DAYS or not begin or not end:
            raise FormError("opening_times.regular_hours", f"line {n} ({line!r}): write e.g. 'Mon 08:00-18:00'")
        hours.append(
            {"weekday": DAYS.index(day[:3].title()) + 1, "period_begin": begin.strip(), "period_end": end.strip()}
        )
    return hours


def show_hours(hours: list[Any]) -> str:
    return "\n".join(f"{DAYS[h.weekday - 1]} {h.period_begin}-{h.period_end}" for h in hours)


def parse_pairs(value: str | None, field: str) -> dict[str, str]:
    """'Key=Value' per line → a dict (station configuration)."""
    pairs = {}
    for n, line in _lines(value):
        key, sep, item = line.partition("=")
        if not sep or not key.strip():
            raise FormError(field, f"line {n} ({line!r}): write Key=Value, e.g. HeartbeatInterval=300")
        pairs[key.strip()] = item.strip()
    return pairs


CONNECTOR_FORMAT = "EVSE CONNECTOR STANDARD FORMAT POWER_TYPE VOLTS AMPS [WATTS]"


def parse_connectors(value: str | None) -> list[dict[str, Any]]:
    """'1 1 IEC_62196_T2 SOCKET AC_3_PHASE 400 32 22000' per line → evses with their connectors."""
    evses: dict[str, dict[str, Any]] = {}
    for n, line in _lines(value):
        parts = line.split()
        if len(parts) not in (7, 8):
            raise FormError("evses", f"line {n} ({line!r}): write {CONNECTOR_FORMAT}")
        keys = ("id", "standard", "format", "power_type", "max_voltage", "max_amperage", "max_electric_power")
        connector = dict(zip(keys, parts[1:], strict=False))
        evses.setdefault(parts[0], {"evse_id": parts[0], "connectors": []})["connectors"].append(connector)
    return list(evses.values())


def show_connectors(evses: list[Any]) -> str:
    return "\n".join(
        " ".join(
            str(v)
            for v in (
                e.evse_id,
                c.id,
                c.standard,
                c.format,
                c.power_type,
                c.max_voltage,
                c.max_amperage,
                c.max_electric_power,
            )
            if v is not None
        )
        for e in evses
        for c in e.connectors
    )


def _business(form: FormData, prefix: str) -> dict[str, Any] | None:
    name = text(form, f"{prefix}.name")
    website = text(form, f"{prefix}.website")
    return {"name": name, "website": website} if name or website else None


def maintenance(form: FormData) -> dict[str, Any] | None:
    values = {k: text(form, f"maintenance.{k}") for k in ("status", "notes", "last_visit", "next_visit")}
    if not any(values.values()):
        return None
    values["status"] = values["status"] or "ok"
    return values


def show_maintenance(values: dict[str, str], data: Any) -> None:
    if data is not None:
        for key in ("status", "notes", "last_visit", "next_visit"):
            item = getattr(data, key)
            values[f"maintenance.{key}"] = "" if item is None else str(item)


LOCATION_FIELDS = {
    "organization_id", "external_id", "name", "address", "city", "postal_code", "state", "country",
    "coordinates.latitude", "coordinates.longitude", "time_zone", "parking_type", "facilities",
    "opening_times.twentyfourseven", "opening_times.regular_hours", "directions", "operator.name",
    "operator.website", "owner.name", "owner.website", "custom_groups", "remarks", "maintenance.status",
    "maintenance.notes", "maintenance.last_visit", "maintenance.next_visit",
}  # fmt: skip


def location_body(form: FormData, current: LocationOut | None = None) -> dict[str, Any]:
    """The LocationIn body a submitted form stands for. Exceptional opening times (not in the form) are kept."""
    body: dict[str, Any] = {
        name: text(form, name)
        for name in ("organization_id", "external_id", "name", "address", "city", "postal_code", "state")
    }
    body |= {n: text(form, n) for n in ("country", "time_zone", "parking_type", "directions", "remarks")}
    body["coordinates"] = {
        "latitude": text(form, "coordinates.latitude"),
        "longitude": text(form, "coordinates.longitude"),
    }
    body["facilities"] = [f for f in form.getlist("facilities") if f]
    body["custom_groups"] = groups(form)
    body["operator"] = _business(form, "operator")
    body["owner"] = _business(form, "owner")
    body["maintenance"] = maintenance(form)
    twentyfourseven = form.get("opening_times.twentyfourseven") == "on"
    hours = parse_hours(text(form, "opening_times.regular_hours"))
    kept = current.opening_times if current else None
    exceptional = kept.model_dump(mode="json", include={"exceptional_openings", "exceptional_closings"}) if kept else {}
    if twentyfourseven or hours or exceptional.get("exceptional_openings") or exceptional.get("exceptional_closings"):
        body["opening_times"] = {"twentyfourseven": twentyfourseven, "regular_hours": hours, **exceptional}
    else:
        body["opening_times"] = None
    return {k: v for k, v in body.items() if k != "organization_id" or v}


def location_values(location: LocationOut | None) -> dict[str, Any]:
    """Form input values for a location (empty for a new one)."""
    if location is None:
        return {"opening_times.twentyfourseven": True, "country": "NLD"}
    data = location.model_dump(mode="json")
    values: dict[str, Any] = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, dict | list)}
    values["coordinates.latitude"] = location.coordinates.latitude
    values["coordinates.longitude"] = location.coordinates.longitude
    values["facilities"] = location.facilities
    values["custom_groups"] = ", ".join(location.custom_groups)
    for prefix in ("operator", "owner"):
        business = getattr(location, prefix)
        values[f"{prefix}.name"] = business.name if business else ""
        values[f"{prefix}.website"] = str(business.website) if business and business.website else ""
    hours = location.opening_times
    values["opening_times.twentyfourseven"] = bool(hours and hours.twentyfourseven)
    values["opening_times.regular_hours"] = show_hours(hours.regular_hours) if hours else ""
    show_maintenance(values, location.maintenance)
    return values


STATION_FIELDS = {
    "id", "organization_id", "location_id", "vendor", "model", "serial_number", "charger_type", "access_mode",
    "tariff_code", "availability", "configuration", "custom_groups", "remarks", "evses", "maintenance.status",
    "maintenance.notes", "maintenance.last_visit", "maintenance.next_visit",
}  # fmt: skip


def station_body(form: FormData, new: bool) -> dict[str, Any]:
    names = ("organization_id", "location_id", "vendor", "model", "serial_number", "charger_type", "tariff_code")
    body: dict[str, Any] = {name: text(form, name) for name in names}
    body["access_mode"] = text(form, "access_mode") or "public"
    body["availability"] = text(form, "availability") or "operative"
    body["remarks"] = text(form, "remarks")
    body["configuration"] = parse_pairs(text(form, "configuration"), "configuration")
    body["custom_groups"] = groups(form)
    body["maintenance"] = maintenance(form)
    body["evses"] = parse_connectors(text(form, "evses"))
    if new:
        body["id"] = text(form, "id")
    return {k: v for k, v in body.items() if k != "organization_id" or v}


def station_values(station: StationOut | None) -> dict[str, Any]:
    if station is None:
        return {"access_mode": "public", "availability": "operative"}
    data = station.model_dump(mode="json")
    values: dict[str, Any] = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, dict | list)}
    values["configuration"] = "\n".join(f"{k}={v}" for k, v in station.configuration.items())
    values["custom_groups"] = ", ".join(station.custom_groups)
    values["evses"] = show_connectors(station.evses)
    show_maintenance(values, station.maintenance)
    return values
