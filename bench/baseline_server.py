"""The bare `ocpp` library on `websockets`, answering from memory: what `ocpp_load.py` compares chargedesk to.

python bench/baseline_server.py --port 9100
"""

import argparse
import asyncio
import contextlib
import itertools
import json
from datetime import UTC, datetime

import ocpp.messages
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import serve

ocpp.messages.ASYNC_VALIDATION = False
_ids = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Station(ChargePoint):
    @on(Action.boot_notification)
    def on_boot(self, **_):
        return call_result.BootNotification(current_time=_now(), interval=300, status="Accepted")

    @on(Action.heartbeat)
    def on_heartbeat(self):
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status(self, **_):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag):
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action.start_transaction)
    def on_start(self, **_):
        return call_result.StartTransaction(transaction_id=next(_ids), id_tag_info={"status": "Accepted"})

    @on(Action.stop_transaction)
    def on_stop(self, **_):
        return call_result.StopTransaction(id_tag_info={"status": "Accepted"})


async def handler(ws) -> None:
    station = Station(ws.request.path.rsplit("/", 1)[-1], ws)
    with contextlib.suppress(Exception):  # the station went away
        await station.start()


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"], ping_interval=60, compression=None):
        print(json.dumps({"ready": port}), flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=9100)
    asyncio.run(main(parser.parse_args().port))
