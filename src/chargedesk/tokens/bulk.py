"""The token import and export: streamed, batched, atomic (RULES.md §5).

The import reads the file once. Rows are checked as they come, looked up in the database a batch at a time and
written with one executemany per batch, all inside the caller's transaction: the caller commits only a clean,
real import, so any bad row leaves the database as it was. A dry run does the same lookups and writes nothing."""

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.customers import service as customers
from chargedesk.customers.models import Customer
from chargedesk.db import utcnow
from chargedesk.ids import new_id
from chargedesk.locations.service import check_organization
from chargedesk.organizations import service as organizations
from chargedesk.tokens.imports import (
    TOKEN_COLUMNS,
    CsvReader,
    RowError,
    TokenRow,
    issue,
    neutralize,
    parse_token_row,
    read_in_batches,
    too_many_cells,
)
from chargedesk.tokens.models import Token
from chargedesk.tokens.service import describe, tokens_with_keys

BATCH = 5000
KNOWN_KEYS_MAX = 200_000  # tokens in the tree up to which their keys are held in memory during an import
MAX_WARNINGS = 100  # warnings are advice; errors are all listed
_EDITABLE = ("visual_number", "type", "customer_id", "nickname", "whitelist", "valid_until")
INSERT_COLUMNS = (
    "id",
    "organization_id",
    "root_organization_id",
    "customer_id",
    "uid",
    "auth_id",
    "auth_key",
    "visual_number",
    "type",
    "nickname",
    "status",
    "valid_until",
    "whitelist",
    "external",
    "max_concurrent_transactions",
    "created_at",
    "updated_at",
)
CUSTOMER_COLUMNS = ("id", "organization_id", "name", "external_id", "search_text", "created_at", "updated_at")


async def bulk_insert(session: AsyncSession, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert `rows` (values in the order of `columns`) with the driver's own bulk path, inside the session's
    transaction: COPY on PostgreSQL, executemany on SQLite. Several times faster than an ORM or Core executemany,
    which matters for a million-row import; values pass through the columns' own bind processing first."""
    conn = await session.connection()
    dialect = conn.dialect
    driver = (await conn.get_raw_connection()).driver_connection
    converters = [(i, table.c[name].type.bind_processor(dialect)) for i, name in enumerate(columns)]
    converters = [(i, proc) for i, proc in converters if proc is not None]
    if converters:
        # Column types convert values for the driver (UTC datetimes; booleans on SQLite). A batch repeats values
        # (its timestamps, flags, expiry dates), so each distinct value is converted once.
        memo: dict[tuple[int, Any], Any] = {}
        prepared: list[Any] = []
        for row in rows:
            values = list(row)
            for i, proc in converters:
                value = values[i]
                if value is not None:
                    key = (i, value)
                    converted = memo.get(key, memo)
                    if converted is memo:
                        converted = memo[key] = proc(value)
                    values[i] = converted
            prepared.append(values)
        rows = prepared
    if dialect.name == "postgresql":
        await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
        analyzed = session.info.setdefault("analyzed_after_copy", set())
        if table.name not in analyzed:
            # Bulk loads outrun autovacuum: a table planned as empty gets nested loops over sequential scans for
            # the next batch's lookups. One ANALYZE after the first batch gives the planner the rows' density,
            # which it scales by the table's actual size from then on.
            analyzed.add(table.name)
            await driver.execute(f"ANALYZE {table.name}")
    else:
        marks = ", ".join("?" for _ in columns)
        await driver.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows)


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    updated: int = 0
    already_present: int = 0
    external: int = 0
    removed_by_clear: int = 0
    customers_created: list[str] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)
    warnings_not_shown: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def warn(self, entries: list[dict[str, object]]) -> None:
        room = MAX_WARNINGS - len(self.warnings)
        self.warnings.extend(entries[:room])
        self.warnings_not_shown += max(len(entries) - room, 0)


class TokenImport:
    """One run of the token import for one organisation (see `import_tokens`)."""

    def __init__(self, session: AsyncSession, principal: Principal, organization_id: str, root_id: str) -> None:
        self.session = session
        self.principal = principal
        self.organization_id = organization_id
        self.root_id = root_id
        self.default_whitelist = False
        self.report = ImportReport()
        self.seen: dict[str, int] = {}  # uid / auth key → first line, for duplicates inside the file
        self.customers: dict[str, str] = {}  # customer_external_id → customer id
        self.batch: list[TokenRow] = []
        # The uids and auth keys the tree had before the import, when few enough to hold: batches with none of
        # them (every batch of a first import) skip the database lookup. None: always look up.
        self.known: set[str] | None = None

    @property
    def writing(self) -> bool:
        # After the first error nothing more is written: the transaction is rolled back anyway.
        return not self.report.dry_run and self.report.ok

    def take(self, line: int, row: dict[str, str] | None, width: int) -> None:
        self.report.rows += 1
        if row is None:
            self.report.errors.append(too_many_cells(line, width))
            return
        try:
            parsed = parse_token_row(line, row)
        except RowError as exc:
            self.report.errors.append(issue(line, exc.value, exc.message))
            return
        for key in parsed.keys:
            first = self.seen.get(key)
            if first is not None:
                self.report.errors.append(
                    issue(line, key, f"{key!r} is already on line {first} of this file: each token once")
                )
                return
        for key in parsed.keys:
            self.seen[key] = line
        if parsed.warnings:
            self.report.warn(parsed.warnings)
        self.batch.append(parsed)

    async def flush(self) -> None:
        rows, self.batch = self.batch, []
        if not rows:
            return
        await self._resolve_customers(rows)
        keys = sorted({k for r in rows for k in r.keys})
        if self.known is not None:
            keys = [k for k in keys if k in self.known]
        found = await tokens_with_keys(self.session, self.root_id, keys) if keys else []
        by_key: dict[str, Token] = {}
        for token in found:
            by_key.setdefault(token.auth_key, token)
            if token.uid:
                by_key.setdefault(token.uid, token)
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        now = utcnow()
        for row in rows:
            self._one(row, by_key, inserts, updates, now)
        for token in found:
            self.session.expunge(token)  # a re-import of a million rows must not keep a million objects
        if self.writing and updates:
            table = Token.__table__
            stmt = update(table).where(table.c.id == bindparam("b_id"))
            stmt = stmt.values({name: bindparam(f"b_{name}") for name in (*_EDITABLE, "updated_at")})
            await self.session.execute(stmt, updates)  # type: ignore[arg-type]
        if self.writing and inserts:
            await bulk_insert(self.session, Token.__table__, INSERT_COLUMNS, inserts)

    def _one(
        self, row: TokenRow, by_key: dict[str, Token], inserts: list[tuple[Any, ...]], updates: list[Any], now: datetime
    ) -> None:
        matches = {id(t): t for t in (by_key.get(k) for k in row.keys) if t is not None}
        customer_id = self.customers.get(row.customer_external_id) if row.customer_external_id else None
        if not matches:
            self.report.added += 1
            whitelist = self.default_whitelist if row.whitelist is None else row.whitelist
            # In the order of INSERT_COLUMNS.
            inserts.append(
                (
                    new_id("tok"),
                    self.organization_id,
                    self.root_id,
                    customer_id,
                    row.uid,
                    row.auth_id,
                    row.auth_key,
                    row.visual_number,
                    row.type or "RFID",
                    row.nickname,
                    "active",
                    row.valid_until,
                    whitelist,
                    False,
                    1,
                    now,
                    now,
                )
            )
            return
        token = next(iter(matches.values()))
        same_token = len(matches) == 1 and (row.uid is None or token.uid == row.uid)
        if not same_token or (row.auth_given and token.auth_key != row.auth_key):
            self.report.errors.append(self._clash(row, list(matches.values())))
            return
        if token.organization_id not in self.principal.visible:
            self.report.errors.append(
                issue(row.line, row.uid or row.auth_id, f"already used by {describe(token)} of another organization")
            )
            return
        wanted = {
            "visual_number": row.visual_number,
            "type": row.type,
            "customer_id": customer_id,
            "nickname": row.nickname,
            "whitelist": row.whitelist,
            "valid_until": row.valid_until,
        }
        current = {name: getattr(token, name) for name in _EDITABLE}
        merged = {name: current[name] if wanted[name] is None else wanted[name] for name in _EDITABLE}
        if merged == current:
            self.report.already_present += 1
            return
        self.report.updated += 1
        updates.append({"b_id": token.id, "b_updated_at": now, **{f"b_{k}": v for k, v in merged.items()}})

    def _clash(self, row: TokenRow, tokens: list[Token]) -> dict[str, object]:
        token = tokens[0]
        if row.uid and token.uid == row.uid and token.auth_key != row.auth_key:
            message = (
                f"uid {row.uid} belongs to {describe(token)}; its auth_id cannot change: delete the token and "
                "import it again, or leave auth_id empty"
            )
            return issue(row.line, row.auth_id, message)
        names = " and ".join(describe(t) for t in tokens)
        return issue(
            row.line, row.uid or row.auth_id, f"already used by {names}: a uid or auth_id identifies one token"
        )

    async def _resolve_customers(self, rows: list[TokenRow]) -> None:
        wanted = sorted({r.customer_external_id for r in rows if r.customer_external_id} - self.customers.keys())
        if not wanted:
            return
        self.customers.update(await customers.by_external_ids(self.session, self.principal.visible, wanted))
        missing = [external_id for external_id in wanted if external_id not in self.customers]
        created = []
        now = utcnow()
        for external_id in missing:
            # Named after its external id until someone gives it a name; the report lists it.
            customer_id = new_id("cus")
            self.customers[external_id] = customer_id
            self.report.customers_created.append(external_id)
            created.append(
                (
                    customer_id,
                    self.organization_id,
                    external_id,
                    external_id,
                    customers.search_text(external_id, None),
                    now,
                    now,
                )
            )
        if created and self.writing:
            await bulk_insert(self.session, Customer.__table__, CUSTOMER_COLUMNS, created)


async def import_tokens(
    session: AsyncSession,
    principal: Principal,
    lines: Iterable[bytes],
    *,
    organization_id: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a token CSV into `organization_id` (default: the principal's). Leaves the transaction to the caller:
    commit when `report.ok` and not dry run, else roll back."""
    org = await organizations.get(session, check_organization(principal, organization_id))
    run = TokenImport(session, principal, org.id, org.root_id)
    run.known = await _known_keys(session, org.root_id)
    run.default_whitelist = org.default_whitelist
    run.report.dry_run = dry_run
    reader = CsvReader(lines, TOKEN_COLUMNS, required_any=("uid", "auth_id"))
    await read_in_batches(run, reader, BATCH, progress)
    run.report.errors.sort(key=lambda e: e["line"])  # type: ignore[arg-type, return-value]
    return run.report


async def _known_keys(session: AsyncSession, root_id: str) -> set[str] | None:
    in_tree = Token.root_organization_id == root_id
    if (await session.scalar(select(func.count()).select_from(Token).where(in_tree)) or 0) > KNOWN_KEYS_MAX:
        return None
    known: set[str] = set()
    for uid, key in (await session.execute(select(Token.uid, Token.auth_key).where(in_tree))).all():
        known.add(key)
        if uid:
            known.add(uid)
    return known


# --- export ---------------------------------------------------------------------------------------------------


def _csv_line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else neutralize(str(v)) for v in values])
    return buffer.getvalue()


async def export_tokens(session: AsyncSession, principal: Principal) -> AsyncIterator[str]:
    """The principal's tokens as CSV in the import's columns, a chunk of rows at a time."""
    yield _csv_line(TOKEN_COLUMNS)
    stmt = (
        select(
            Token.uid,
            Token.auth_id,
            Token.visual_number,
            Token.type,
            Customer.external_id,
            Token.nickname,
            Token.whitelist,
            Token.valid_until,
        )
        .outerjoin(Customer, Customer.id == Token.customer_id)
        .where(Token.organization_id.in_(principal.visible))
        .order_by(Token.id)
        .execution_options(yield_per=2000)
    )
    result = await session.stream(stmt)
    async for chunk in result.partitions():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for uid, auth_id, visual, kind, external_id, nickname, whitelist, valid_until in chunk:
            values = (
                uid,
                auth_id,
                visual,
                kind,
                external_id,
                nickname,
                "true" if whitelist else "false",
                valid_until.isoformat().replace("+00:00", "Z") if valid_until else None,
            )
            writer.writerow(["" if v is None else neutralize(str(v)) for v in values])
        yield buffer.getvalue()
