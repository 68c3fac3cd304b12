"""How the API reaches a station: a CALL sent by whichever gateway holds the station's socket.

`InProcessBus` serves the all-in-one process (the socket is in this process). A Redis implementation for
scaled-out gateways publishes on the station's channel behind the same interface.
"""

from typing import Any, Protocol

from chargedesk.ocpp.connection import CallFailed

__all__ = ["Bus", "CallFailed", "InProcessBus", "StationOffline"]


class StationOffline(Exception):
    """No gateway holds a socket for this station."""


class Bus(Protocol):
    def online(self, station_id: str) -> bool: ...

    async def call(
        self, station_id: str, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """The station's CALLRESULT payload; raises StationOffline, TimeoutError or CallFailed."""
        ...


class InProcessBus:
    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway

    def online(self, station_id: str) -> bool:
        return station_id in self.gateway.connections

    async def call(
        self, station_id: str, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        connection = self.gateway.connections.get(station_id)
        if connection is None:
            raise StationOffline(station_id)
        return await connection.request(action, payload, timeout or self.gateway.settings.ocpp_call_timeout)
