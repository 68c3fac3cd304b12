"""The transactions CSV: the API's export and the portal's Download CSV stream the same rows."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime

from chargedesk.auth.deps import Principal
from chargedesk.db import Database
from chargedesk.transactions import service
from chargedesk.transactions.schemas import TransactionOut

CSV_COLUMNS = [name for name in TransactionOut.model_fields if name != "updated_at"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Spreadsheets run a cell that starts like a formula: prefix such text with a quote (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


async def csv_chunks(db: Database, principal: Principal, flt: service.TransactionFilters) -> AsyncIterator[str]:
    """The header, then every matching session (oldest first), a batch per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    # A session of its own: a streamed response outlives the request's dependencies.
    async with db.sessionmaker() as session:
        async for batch in service.stream(session, principal, flt):
            for row in batch:
                out = TransactionOut.of(row)
                writer.writerow([_cell(getattr(out, c)) for c in CSV_COLUMNS])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
