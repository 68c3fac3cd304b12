"""CSV imports (RULES.md §5): a streaming reader shared by every import, and the rows of the token import.

`CsvReader` reads UTF-8 (with or without BOM), comma- or semicolon-separated files line by line, so a file of a
million rows is never held in memory. It checks the header (unknown columns refused by name), reports the line
number of every row, and undoes the spreadsheet-formula neutralisation of our exports (see `neutralize`)."""

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from chargedesk.tokens import identifiers

BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """A cell value safe to open in a spreadsheet: formula-looking values (and values that already start with a
    quote, so that the quote survives a round trip) get a leading single quote. `CsvReader` removes it again."""
    if value and (value.startswith(FORMULA_START) or value[0] == "'"):
        return "'" + value
    return value


def issue(line: int, value: str, message: str) -> dict[str, object]:
    """One entry of an import report's `errors` (or `warnings`)."""
    return {"line": line, "value": value, "message": message}


class CsvFileError(Exception):
    """The file as a whole cannot be read (empty, not UTF-8, bad header): nothing in it is imported."""

    def __init__(self, line: int, value: str, message: str) -> None:
        super().__init__(message)
        self.entry = issue(line, value, message)


@dataclass
class ByteCounter:
    """Counts the bytes handed to the reader, for progress bars."""

    lines: Iterable[bytes]
    read: int = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.lines:
            self.read += len(chunk)
            yield chunk


class CsvReader:
    """Rows of a CSV import as (line number, {column: cell}), cells stripped; missing columns read as ''.

    `columns` are the names the import accepts (lower case); at least one of `required_any` must be in the header.
    Iterating raises CsvFileError for problems of the whole file; a row with too many cells is yielded with
    `None` as its dict so the caller can list it among the row errors."""

    def __init__(self, lines: Iterable[bytes], columns: Sequence[str], required_any: Sequence[str] = ()) -> None:
        self.source = ByteCounter(lines)
        self.columns = tuple(columns)
        self.required_any = tuple(required_any)
        self.header: list[str] = []
        self.delimiter = ","
        self.line = 0  # the physical line last decoded

    def _decoded(self, first: bytes) -> Iterator[str]:
        for raw in self._raw(first):
            self.line += 1
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                snippet = raw[max(exc.start - 10, 0) : exc.end + 10].decode("utf-8", "replace").strip()
                raise CsvFileError(
                    self.line,
                    snippet,
                    "the file is not UTF-8 (e.g. saved as Latin-1 or ANSI): save it as 'CSV UTF-8' and upload it again",
                ) from None

    def _raw(self, first: bytes) -> Iterator[bytes]:
        yield first
        yield from self._rest

    def _sniff(self, header_line: str) -> str:
        # The header names have no quotes or separators of their own, so counting is enough.
        return ";" if header_line.count(";") > header_line.count(",") else ","

    def __iter__(self) -> Iterator[tuple[int, dict[str, str] | None]]:
        self._rest = iter(self.source)
        first = next(self._rest, b"")
        if first.startswith(_UTF16_BOMS):
            raise CsvFileError(1, "", "the file is UTF-16: save it as 'CSV UTF-8' and upload it again")
        first = first.removeprefix(BOM)
        if not first.strip():
            raise CsvFileError(
                1,
                "",
                f"the file is empty: the first line must be a header naming the columns ({', '.join(self.columns)})",
            )
        lines = self._decoded(first)
        header_text = next(lines)
        self.delimiter = self._sniff(header_text)
        reader = csv.reader(_chain(header_text, lines), delimiter=self.delimiter)
        records = _records(reader, self)
        self.header = [name.strip().lower() for name in next(records)]
        self._check_header()
        width = len(self.header)
        header = self.header
        last_line = self.line
        for cells in records:
            start, last_line = last_line + 1, self.line
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue  # blank lines are allowed anywhere
            if len(cells) > width:
                yield start, None
                continue
            # A leading quote is how exports keep spreadsheets from running a cell as a formula (see neutralize).
            row = {name: cell[1:] if cell[:1] == "'" else cell for name, cell in zip(header, cells, strict=False)}
            for name in header[len(cells) :]:
                row[name] = ""
            yield start, row

    def _check_header(self) -> None:
        unknown = [name for name in self.header if name not in self.columns]
        if unknown:
            raise CsvFileError(
                1,
                ", ".join(unknown),
                f"unknown column(s) {', '.join(repr(n) for n in unknown)}: the columns are {', '.join(self.columns)} "
                f"(check the spelling and the separator: comma or semicolon)",
            )
        repeated = sorted({name for name in self.header if self.header.count(name) > 1})
        if repeated:
            raise CsvFileError(1, ", ".join(repeated), f"column(s) {', '.join(repeated)} appear more than once")
        if self.required_any and not any(name in self.header for name in self.required_any):
            raise CsvFileError(1, ",".join(self.header), f"the header needs a column {' or '.join(self.required_any)}")


def _records(reader: Iterator[list[str]], source: "CsvReader") -> Iterator[list[str]]:
    """The csv module's records, its errors (a stray quote, a bare CR line ending) as CsvFileError with the line."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvFileError(
                source.line, "", f"the file is not valid CSV here ({exc}): save it again as CSV from your spreadsheet"
            ) from None
        yield cells


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def too_many_cells(line: int, width: int) -> dict[str, object]:
    return issue(
        line, "", f"this row has more cells than the header has columns ({width}): check for a stray separator"
    )


# --- the token import -----------------------------------------------------------------------------------------

TOKEN_COLUMNS = (
    "uid",
    "auth_id",
    "visual_number",
    "type",
    "customer_external_id",
    "nickname",
    "whitelist",
    "valid_until",
)
TOKEN_TYPES = frozenset({"RFID", "APP", "OTHER", "AD_HOC"})
_TRUE = frozenset({"true", "yes", "1", "y", "on"})
_FALSE = frozenset({"false", "no", "0", "n", "off"})


class RowError(ValueError):
    def __init__(self, value: str, message: str) -> None:
        super().__init__(message)
        self.value = value
        self.message = message


@dataclass(slots=True)
class TokenRow:
    """One valid row of a token import. None means "not given": a new token gets the default, an existing one
    keeps its value."""

    line: int
    uid: str | None
    auth_id: str
    auth_key: str
    auth_given: bool
    visual_number: str | None
    type: str | None
    customer_external_id: str | None
    nickname: str | None
    whitelist: bool | None
    valid_until: datetime | None
    warnings: list[dict[str, object]] = field(default_factory=list)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.uid, self.auth_key) if self.uid and self.uid != self.auth_key else (self.auth_key,)


def parse_bool(value: str) -> bool | None:
    lowered = value.lower()
    if not lowered:
        return None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(value, f"whitelist {value!r}: use true or false (or leave it empty for the default)")


def parse_valid_until(value: str) -> datetime | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(value, f"valid_until {value!r}: use an ISO 8601 date or time, e.g. 2027-12-31") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_token_row(line: int, row: dict[str, str]) -> TokenRow:
    """Check one row; raises RowError naming the value and what to do."""
    uid = row.get("uid", "")
    auth_id = row.get("auth_id", "")
    visual = row.get("visual_number", "")
    try:
        ids = identifiers.check_identifiers(uid, auth_id, visual)
    except identifiers.IdentifierError as exc:
        value = {"uid": uid, "auth_id": auth_id, "visual_number": visual}.get(exc.field, "")
        raise RowError(value, exc.message) from None
    kind = row.get("type", "").upper() or None
    if kind is not None and kind not in TOKEN_TYPES:
        raise RowError(row["type"], f"type {row['type']!r}: use one of {', '.join(sorted(TOKEN_TYPES))}")
    nickname = row.get("nickname") or None
    if nickname is not None and len(nickname) > 100:
        raise RowError(nickname, "nickname: at most 100 characters")
    customer = row.get("customer_external_id") or None
    if customer is not None and len(customer) > 100:
        raise RowError(customer, "customer_external_id: at most 100 characters")
    return TokenRow(
        line=line,
        uid=ids.uid,
        auth_id=ids.auth_id,
        auth_key=identifiers.auth_key(ids.auth_id),
        auth_given=bool(auth_id),
        visual_number=ids.visual_number,
        type=kind,
        customer_external_id=customer,
        nickname=nickname,
        whitelist=parse_bool(row.get("whitelist", "")),
        valid_until=parse_valid_until(row.get("valid_until", "")),
        warnings=[issue(line, uid, w.message) for w in ids.warnings],
    )


class BatchedRun(Protocol):
    """An import run: takes rows one by one and writes (or only checks) them a batch at a time."""

    batch: list[Any]
    report: Any

    def take(self, line: int, row: dict[str, str] | None, width: int) -> None: ...

    async def flush(self) -> None: ...


async def read_in_batches(
    run: BatchedRun, reader: CsvReader, batch_size: int, progress: Callable[[int], None] | None = None
) -> None:
    """Feed every row of `reader` to `run`, flushing each full batch and the last one. Problems of the whole file
    become an error of the report; a header without rows too."""
    try:
        for line, row in reader:
            run.take(line, row, len(reader.header))
            if len(run.batch) >= batch_size:
                await run.flush()
                if progress is not None:
                    progress(reader.source.read)
        await run.flush()
    except CsvFileError as exc:
        run.report.errors.append(exc.entry)
    if progress is not None:
        progress(reader.source.read)
    if not run.report.errors and run.report.rows == 0 and reader.header:
        run.report.errors.append(
            issue(
                1, "", f"the file has a header but no rows: add one row per line below it ({', '.join(reader.header)})"
            )
        )
