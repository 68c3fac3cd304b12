"""The installer's commissioning test: is a newly linked station really working?"""

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.db import utcnow
from chargedesk.ocpp.bus import Bus, CallFailed, StationOffline
from chargedesk.stations import reported
from chargedesk.stations.models import ChargeStation


def _check(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": passed, "detail": detail}


async def _ask(bus: Bus, station_id: str, action: str, payload: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    try:
        return await bus.call(station_id, action, payload), ""
    except StationOffline:
        return None, "the station is not connected"
    except TimeoutError:
        return None, f"no answer to {action} in time"
    except CallFailed as exc:
        return None, f"{action} answered with the error {exc.code}: {exc.description}"


async def run(session: AsyncSession, bus: Bus, station: ChargeStation, heartbeat_interval: int) -> dict[str, Any]:
    checks = []
    online = bus.online(station.id)
    checks.append(_check("connected", online, "connected now" if online else "no open OCPP connection"))
    state = await reported.state(session, station.id)
    booted = state.boot_status == "Accepted" and station.last_boot_at is not None
    detail = f"BootNotification accepted at {station.last_boot_at.isoformat()}" if booted else "no BootNotification yet"
    checks.append(_check("booted", booted, detail))
    last_sign = max((t for t in (state.heartbeat_at, station.last_boot_at) if t is not None), default=None)
    recent = last_sign is not None and utcnow() - last_sign <= timedelta(seconds=2 * heartbeat_interval)
    detail = f"last heartbeat or boot at {last_sign.isoformat()}" if last_sign else "no heartbeat yet"
    checks.append(_check("heartbeat_recent", recent, detail))
    expected = {c["id"] for evse in station.evses or [] for c in evse.get("connectors", [])}
    reported_ids = set(await reported.connector_ids(session, station.id))
    missing = sorted(expected - reported_ids)
    if expected:
        ok, detail = (
            not missing,
            f"missing StatusNotification for connector(s) {missing}" if missing else "all reported",
        )
    else:
        ok = bool(reported_ids - {0})
        detail = f"connectors {sorted(reported_ids)} reported" if ok else "no connector reported a status"
    checks.append(_check("connectors_reported", ok, detail))
    answer, error = await _ask(bus, station.id, "GetConfiguration", {})
    keys = len((answer or {}).get("configurationKey") or [])
    checks.append(_check("configuration_readable", answer is not None, error or f"{keys} configuration keys read"))
    answer, error = await _ask(bus, station.id, "TriggerMessage", {"requestedMessage": "Heartbeat"})
    status = (answer or {}).get("status")
    checks.append(_check("trigger_message", status == "Accepted", error or f"TriggerMessage answered {status}"))
    return {"station_id": station.id, "passed": all(c["passed"] for c in checks), "checks": checks}
