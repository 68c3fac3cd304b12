"""The OCPP gateway: accepts station sockets at /ocpp/{station_id} and holds one connection per identity.

It is a plain ASGI app (no framework objects per socket: 10,000 idle stations must stay cheap), mounted in
front of the API by `chargedesk serve` and served alone by `chargedesk gateway`. uvicorn does the WebSocket
protocol: pings (`ocpp_ping_interval`), the frame size limit (`ocpp_max_frame_bytes`, close 1009).
"""

import asyncio
import base64
import binascii
import contextlib
import gc
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, cast
from urllib.parse import unquote

from sqlalchemy import bindparam, select
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from chargedesk.auth.passwords import verify_password
from chargedesk.authorization.context import StationContexts
from chargedesk.config import Settings
from chargedesk.db import Database, Prepared, utcnow
from chargedesk.ocpp.log import MessageLog
from chargedesk.ocpp.sqlite_direct import SqliteReader, SqliteWriter
from chargedesk.ocpp.v16 import StationV16
from chargedesk.stations import reported
from chargedesk.stations.models import ChargeStation

LOGGER = logging.getLogger("chargedesk.ocpp")
T = TypeVar("T")
PREFIX = "/ocpp/"
SUBPROTOCOLS = ("ocpp1.6",)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
_PASSWORD = Prepared(select(ChargeStation.password_hash).where(ChargeStation.id == bindparam("station_id")))


class Closed(Exception):
    """The socket is gone; ends the connection's read loop."""


class AsgiSocket:
    """The recv()/send() the `ocpp` library expects, over ASGI's receive/send."""

    __slots__ = ("receive", "_send", "closed")

    def __init__(self, receive: Receive, send: Send) -> None:
        self.receive = receive
        self._send = send
        self.closed = False

    async def recv(self) -> str:
        message = await self.receive()
        if message["type"] == "websocket.receive":
            text = message.get("text")
            if text is None:
                return (message.get("bytes") or b"").decode("utf-8", "replace")
            return text
        self.closed = True
        raise Closed(message.get("code"))

    async def send(self, text: str) -> None:
        if self.closed:
            raise Closed()
        try:
            await self._send({"type": "websocket.send", "text": text})
        except OSError as exc:  # uvicorn raises ClientDisconnected (an OSError) once the peer is gone
            self.closed = True
            raise Closed() from exc

    async def close(self, code: int = 1000) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": code})


class Gateway:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        sqlite = db.dialect == "sqlite"
        self.reader = SqliteReader(db.url) if sqlite else None
        self.writer = SqliteWriter(db.url, fallback=db.run) if sqlite else None
        self.station_contexts = StationContexts(settings.ocpp_context_cache_seconds)
        self.log = MessageLog(db, enabled=settings.message_log_enabled, write=self.write)
        self.connections: dict[str, StationV16] = {}
        # station id -> (password hash, SHA-256 of the password that verified against it): a reconnect storm
        # must not pay for an Argon2 verification per socket.
        self._verified: dict[str, tuple[str, bytes]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.on_connect: list[Callable[[str], Awaitable[None]]] = []

    async def write(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run `work(conn)` (Core statements; it commits); returns once it is committed. On SQLite the gateway's
        writer runs it on this thread, grouped with the other writes of the moment (SqliteWriter)."""
        if self.writer is not None:
            return cast(T, await self.writer.run(work))
        return await self.db.run(work)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Any]:
        """What `Prepared.all` reads with: the SQLite reader, or a session."""
        if self.reader is not None:
            yield self.reader
            return
        async with self.db.sessionmaker() as session:
            yield session

    # -- the socket ---------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        station_id = unquote(scope["path"][len(PREFIX) :]) if scope["path"].startswith(PREFIX) else ""
        connect = await receive()
        if connect["type"] != "websocket.connect":
            return
        refusal = await self._admit(scope, station_id)
        if refusal is not None:
            await _deny(scope, send, *refusal)
            return
        await send({"type": "websocket.accept", "subprotocol": "ocpp1.6"})
        socket = AsgiSocket(receive, send)
        station = StationV16(station_id, socket, self)
        previous = self.connections.get(station_id)
        self.connections[station_id] = station
        if previous is not None:  # one connection per identity: the newest wins
            await previous._connection.close(1000)
        await self._presence(station_id, True)
        self._spawn(self._connected(station))
        try:
            await station.start()
        except Closed:
            pass
        finally:
            socket.closed = True
            if self.connections.get(station_id) is station:
                del self.connections[station_id]
                await self._presence(station_id, False)

    async def _admit(self, scope: Scope, station_id: str) -> tuple[int, str] | None:
        """None to accept, or the HTTP status and reason to refuse the upgrade with."""
        if not station_id or "/" in station_id:
            return 404, "Connect to /ocpp/{station id}."
        if not any(p in SUBPROTOCOLS for p in scope.get("subprotocols", [])):
            return 400, "Offer the WebSocket subprotocol ocpp1.6 (Sec-WebSocket-Protocol)."
        async with self.read() as reader:
            rows = await _PASSWORD.all(reader, {"station_id": station_id})
        if not rows:
            return 404, f"No charge station {station_id!r} is registered: add it with POST /api/v1/charge-stations."
        password_hash = rows[0][0]
        if password_hash is not None and not await self._password_ok(scope, station_id, password_hash):
            return 401, "This station needs HTTP Basic auth: username = station id, password = its password."
        return None

    async def _password_ok(self, scope: Scope, station_id: str, password_hash: str) -> bool:
        header = dict(scope.get("headers", [])).get(b"authorization", b"")
        scheme, _, value = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if user != station_id:
            return False
        digest = hashlib.sha256(f"{station_id}:{password}".encode()).digest()
        cached = self._verified.get(station_id)
        if cached is not None and cached[0] == password_hash:
            return cached[1] == digest
        # Argon2 is slow on purpose: off the event loop.
        if not await asyncio.to_thread(verify_password, password_hash, password):
            return False
        self._verified[station_id] = (password_hash, digest)
        return True

    async def _presence(self, station_id: str, online: bool) -> None:
        try:
            await self.write(lambda conn: reported.set_presence(conn, station_id, online, utcnow()))
        except Exception:
            LOGGER.exception("could not record %s as %s", station_id, "online" if online else "offline")

    # -- after connecting -------------------------------------------------------------------------------
    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connected(self, station: StationV16) -> None:
        """Desired state and local lists go out once the station has spoken (a booting station ignores CALLs)."""
        for _ in range(600):
            if station._connection.closed or station.last_frame_at > station.connected_at:
                break
            await asyncio.sleep(0.1)
        if station._connection.closed or self.connections.get(station.id) is not station:
            return
        for hook in self.on_connect:
            try:
                await hook(station.id)
            except Exception:
                LOGGER.exception("reconnect sync of %s failed", station.id)

    def booted(self, station_id: str) -> None:
        """Called by the BootNotification handler (nothing to do yet: the connect hooks cover reboots)."""

    # -- background work ----------------------------------------------------------------------------------
    async def run_maintenance(self) -> None:
        """Close silent sockets (a station that stops talking is offline) and prune the message log."""
        last_cleanup = 0.0
        while True:
            await asyncio.sleep(min(60.0, self.settings.ocpp_offline_after / 4))
            deadline = time.monotonic() - self.settings.ocpp_offline_after
            for station in list(self.connections.values()):
                if station.last_frame_at < deadline:
                    await station._connection.close(1001)
            if time.monotonic() - last_cleanup > 3600:
                last_cleanup = time.monotonic()
                with contextlib.suppress(Exception):
                    await self.log.cleanup(self.settings.message_log_days)

    async def close(self) -> None:
        for station in list(self.connections.values()):
            await station._connection.close(1001)
        for task in list(self._tasks):
            task.cancel()
        await self.log.close()
        if self.reader is not None:
            self.reader.close()
        if self.writer is not None:
            self.writer.close()


async def _deny(scope: Scope, send: Send, status: int, reason: str) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        if status == 401:
            headers.append((b"www-authenticate", b'Basic realm="chargedesk OCPP"'))
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": reason.encode()})
    else:
        await send({"type": "websocket.close", "code": 1008})


class OcppMiddleware:
    """Routes WebSocket requests under /ocpp/ to the gateway, everything else to `app`."""

    def __init__(self, app: Any, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(PREFIX):
            await self.gateway(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class StationSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol (the leanest per idle socket) with a window for flow control.

    uvicorn stops reading a socket as soon as one frame waits for the app and starts again when the app has
    taken it: two epoll_ctl system calls per frame, a sixth of the gateway's CPU per Authorize under load. A
    station has one CALL in flight at a time (OCPP-J), so here reading stops only once `window` frames wait
    unread: a station that floods still cannot queue more than that (plus one read's worth) in the server."""

    window = 8

    def send_receive_event_to_app(self) -> None:
        paused = self.read_paused
        self.read_paused = True  # keeps the base class from pausing on every frame
        try:
            super().send_receive_event_to_app()
        finally:
            self.read_paused = paused
        if not paused and self.queue.qsize() >= self.window:
            self.read_paused = True
            self.transport.pause_reading()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The WebSocket settings uvicorn needs to serve the gateway (pings, the frame limit, the protocol)."""
    return {
        "ws": StationSocketProtocol,
        "ws_max_size": settings.ocpp_max_frame_bytes,
        "ws_ping_interval": settings.ocpp_ping_interval,
        "ws_ping_timeout": settings.ocpp_ping_interval,
        "ws_per_message_deflate": False,
    }


def tune_garbage_collector() -> None:
    """For a process that holds thousands of station sockets (about 170 tracked objects each) and answers
    thousands of frames a second.

    CPython collects its youngest generation once 700 more container objects are alive than at the last
    collection. Under load that many are always in flight (log frames waiting for their batch, answers on
    their way), so with the default it collects every few Authorizes, traverses all of them and promotes them,
    until full collections over every station's objects follow (~2 million objects with 10,000 stations: 0.4
    s with the event loop stopped). Measured at 10,000 stations: 250 µs of CPU per Authorize with the default,
    218 µs with 50,000. Full collections are considered after 100 middle-generation collections instead of
    10, and what is alive at startup (modules, the app) is frozen out of every collection. The hot paths
    leave no cyclic garbage (tests/ocpp/test_messages.py), so memory is still freed at once."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run_server(app: Any, settings: Settings) -> None:
    """Serve `app` (with the gateway) under uvicorn with the gateway's WebSocket settings."""
    import uvicorn

    tune_garbage_collector()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, **uvicorn_options(settings))


def create_gateway_app(settings: Settings) -> Any:
    """The gateway alone (`chargedesk gateway`): station sockets only, everything else answers 404."""
    from chargedesk.ocpp import desired_state
    from chargedesk.ocpp.bus import InProcessBus

    db = Database(settings.database_url)
    gateway = Gateway(settings, db)
    desired_state.install(gateway, InProcessBus(gateway))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    maintenance = asyncio.ensure_future(gateway.run_maintenance())
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    maintenance.cancel()
                    await gateway.close()
                    await db.dispose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "websocket" and scope["path"].startswith(PREFIX):
            await gateway(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            body = b"Not Found: station sockets are at /ocpp/{station id}"
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": body})

    return app
