"""CSV import into a location's authorization list (RULES.md §5): one `auth_id` (or `uid`) per row.

Rows are matched against the tokens of the location's organisation tree; an auth ID the platform does not know
becomes an external token. With `clear`, the list's tokens are replaced by the file's in the same transaction
(customers on the list stay). Any bad row: nothing is written, every bad row is reported; the caller commits only
a clean, real import."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.db import utcnow
from chargedesk.locations import service as locations
from chargedesk.locations.authorization import ExternalTokens, ListChange, finish_change, root_of, sizes
from chargedesk.locations.models import LocationAuthorizedToken
from chargedesk.tokens import identifiers
from chargedesk.tokens.bulk import INSERT_COLUMNS, bulk_insert
from chargedesk.tokens.imports import CsvReader, issue, read_in_batches, too_many_cells
from chargedesk.tokens.models import Token

COLUMNS = ("auth_id", "uid")
BATCH = 5000
ENTRY_COLUMNS = ("location_id", "token_id", "added_at")


@dataclass
class ListImportReport:
    rows: int = 0
    added: int = 0
    already_present: int = 0
    external: int = 0
    removed_by_clear: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    clear: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Row:
    line: int
    key: str  # upper-cased auth ID or uid: what a station's idTag is compared with
    auth_id: str
    uid: str | None


class ListImport:
    def __init__(self, session: AsyncSession, resolver: ExternalTokens, location_id: str, on_list: set[str]) -> None:
        self.session = session
        self.resolver = resolver
        self.location_id = location_id
        self.on_list = on_list
        self.report = ListImportReport()
        self.seen: dict[str, int] = {}
        self.in_file: set[str] = set()
        self.batch: list[_Row] = []

    @property
    def writing(self) -> bool:
        return not self.report.dry_run and self.report.ok

    def take(self, line: int, row: dict[str, str] | None, width: int) -> None:
        self.report.rows += 1
        if row is None:
            self.report.errors.append(too_many_cells(line, width))
            return
        auth, uid = row.get("auth_id", ""), row.get("uid", "")
        try:
            if auth:
                auth_id = identifiers.normalize_auth_id(auth)
                parsed = _Row(line, identifiers.auth_key(auth_id), auth_id, None)
            elif uid:
                clean_uid, _ = identifiers.normalize_uid(uid)
                parsed = _Row(line, clean_uid, clean_uid, clean_uid)
            else:
                self.report.errors.append(issue(line, "", "the row has no auth_id (or uid): give one per row"))
                return
        except identifiers.IdentifierError as exc:
            self.report.errors.append(issue(line, auth or uid, exc.message))
            return
        first = self.seen.get(parsed.key)
        if first is not None:
            self.report.errors.append(
                issue(line, parsed.auth_id, f"{parsed.auth_id!r} is already on line {first} of this file")
            )
            return
        self.seen[parsed.key] = line
        self.batch.append(parsed)

    async def flush(self) -> None:
        rows, self.batch = self.batch, []
        if not rows:
            return
        found, problems = await self.resolver.resolve([r.key for r in rows])
        externals: list[tuple[Any, ...]] = []
        entries: list[tuple[Any, ...]] = []
        now = utcnow()
        for row in rows:
            if row.key in problems:
                self.report.errors.append(issue(row.line, row.auth_id, problems[row.key]))
                continue
            token = found.get(row.key)
            if token is None:
                record = self.resolver.external(row.auth_id, row.uid)
                externals.append(tuple(record[name] for name in INSERT_COLUMNS))
                token_id = record["id"]
                self.report.external += 1
            else:
                token_id = token.id
            if token_id in self.in_file:
                self.report.errors.append(
                    issue(row.line, row.auth_id, f"{row.auth_id!r} names a token that an earlier line named already")
                )
                continue
            self.in_file.add(token_id)
            if token_id in self.on_list:
                self.report.already_present += 1
            else:
                self.report.added += 1
                entries.append((self.location_id, token_id, now))
        if self.writing and externals:
            await bulk_insert(self.session, Token.__table__, INSERT_COLUMNS, externals)
        if self.writing and entries:
            await bulk_insert(self.session, LocationAuthorizedToken.__table__, ENTRY_COLUMNS, entries)


async def import_list(
    session: AsyncSession,
    principal: Principal,
    location_id: str,
    lines: Iterable[bytes],
    *,
    clear: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ListImportReport:
    location = await locations.get(session, principal, location_id)
    resolver = ExternalTokens(session, principal, location, await root_of(session, location.organization_id))
    on_list = set(
        (
            await session.scalars(
                select(LocationAuthorizedToken.token_id).where(LocationAuthorizedToken.location_id == location.id)
            )
        ).all()
    )
    was_empty = not on_list and (await sizes(session, location.id))[0] == 0
    run = ListImport(session, resolver, location.id, on_list)
    run.report.clear, run.report.dry_run = clear, dry_run
    reader = CsvReader(lines, COLUMNS, required_any=COLUMNS)
    await read_in_batches(run, reader, BATCH, progress)
    report = run.report
    stale = sorted(on_list - run.in_file) if clear else []
    report.removed_by_clear = len(stale)
    if not run.writing:
        return report
    for start in range(0, len(stale), BATCH):
        await session.execute(
            delete(LocationAuthorizedToken).where(
                LocationAuthorizedToken.location_id == location.id,
                LocationAuthorizedToken.token_id.in_(stale[start : start + BATCH]),
            )
        )
    change = ListChange()
    await finish_change(
        session,
        principal,
        location,
        change,
        was_empty,
        "authorization.tokens.imported",
        "clear" if clear else "import",
        rows=report.rows,
        added_count=report.added,
        already_present=report.already_present,
        external=report.external,
        removed_by_clear=report.removed_by_clear,
    )
    return report
