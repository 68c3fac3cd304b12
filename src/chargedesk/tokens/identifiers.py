"""Token identifier rules (RULES.md §1): normalisation, eMAID parsing and check digits, and the mistakes people make
between a card's chip UID and its printed number. Pure: plain values in, plain values out, no I/O."""

import re
from dataclasses import dataclass

# The 36 characters of an eMAID, in the order of the eMI3 check-digit encoding.
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

UID_MAX_OCPP16 = 20  # OCPP 1.6 idTag is CiString20
UID_MAX = 36  # OCPP 2.0.1 IdToken is up to 36 characters
AUTH_ID_MAX = 36  # OCPI contract_id is CiString(36)
VISUAL_NUMBER_MAX = 64
_TYPICAL_UID_LENGTHS = (8, 14, 20)  # 4, 7 and 10 byte chip UIDs as hex

_UID_CHARS = re.compile(r"[0-9A-Z]+")
_HEX = re.compile(r"[0-9A-F]+")
_VISUAL_CHARS = re.compile(r"[0-9A-Z][0-9A-Z -]*")
_AUTH_CHARS = re.compile(r"[0-9A-Za-z][0-9A-Za-z*._-]*")
# CC-PPP-XXXXXXXXX-D with optional separators (hyphen or, in older documents, asterisk) and check digit.
_EMAID = re.compile(
    r"(?P<country>[A-Z]{2})(?P<sep>[-*]?)(?P<provider>[0-9A-Z]{3})(?P=sep)(?P<instance>[0-9A-Z]{9})"
    r"(?:(?P=sep)(?P<check>[0-9A-Z]))?"
)


class IdentifierError(ValueError):
    """A value that cannot be used in `field`; the message says what to do instead."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Warning_:
    """Accepted, but worth a second look (shown next to the token in the portal and in API answers)."""

    field: str
    message: str


@dataclass(frozen=True)
class Emaid:
    country: str
    provider: str
    instance: str
    check_digit: str | None  # as given; None when the value had none

    @property
    def compact(self) -> str:
        """The 14 characters without separators and check digit: what the check digit is computed over."""
        return self.country + self.provider + self.instance

    def formatted(self) -> str:
        """CC-PPP-XXXXXXXXX-D with the correct check digit."""
        return f"{self.country}-{self.provider}-{self.instance}-{check_digit(self.compact)}"


# --- eMI3 / ISO 15118 check digit -----------------------------------------------------------------------------
# Each character is read as a 2x2 matrix: its index in _ALPHABET written in the mixed radix (2, 2, 3, 3) gives the
# top row (over GF(2)) and the bottom row (over GF(3)). Position j (1-based) is weighted with P1^j (top row) and
# P2^j (bottom row); the check character is the one whose matrix makes the sum of all 15 weighted rows zero.
# This catches single errors, adjacent and jump transpositions, and twin errors.

Mat = tuple[int, int, int, int]  # (a, b, c, d) = [[a, b], [c, d]]


def _mul(x: Mat, y: Mat, mod: int) -> Mat:
    a, b, c, d = x
    e, f, g, h = y
    return ((a * e + b * g) % mod, (a * f + b * h) % mod, (c * e + d * g) % mod, (c * f + d * h) % mod)


def _powers(base: Mat, count: int, mod: int) -> list[Mat]:
    out = [base]
    while len(out) < count:
        out.append(_mul(out[-1], base, mod))
    return out


_P1 = _powers((0, 1, 1, 1), 15, 2)
_P2 = _powers((0, 1, 1, 2), 15, 3)


def _inverse_mod3(m: Mat) -> Mat:
    a, b, c, d = m
    det_inv = {1: 1, 2: 2}[(a * d - b * c) % 3]
    return ((d * det_inv) % 3, (-b * det_inv) % 3, (-c * det_inv) % 3, (a * det_inv) % 3)


_NEG_P2_15_INV = tuple((-x) % 3 for x in _inverse_mod3(_P2[14]))


def _rows(char: str) -> tuple[tuple[int, int], tuple[int, int]]:
    index = _ALPHABET.index(char)
    return (index // 18, (index // 9) % 2), ((index // 3) % 3, index % 3)


def _row_times(row: tuple[int, int], m: Mat, mod: int) -> tuple[int, int]:
    return ((row[0] * m[0] + row[1] * m[2]) % mod, (row[0] * m[1] + row[1] * m[3]) % mod)


def _packed(position: int, char: str) -> int:
    """The weighted rows of `char` at `position`, packed into one int (a byte per entry) so that a whole code is
    summed with one `sum` and reduced modulo 2 and 3 at the end; imports check a million of these."""
    high, low = _rows(char)
    t = _row_times(high, _P1[position], 2)
    u = _row_times(low, _P2[position], 3)
    return t[0] | t[1] << 8 | u[0] << 16 | u[1] << 24


_WEIGHTS = [{char: _packed(position, char) for char in _ALPHABET} for position in range(14)]


def check_digit(compact: str) -> str:
    """The eMI3 check character of a 14-character eMAID without separators (case-insensitive)."""
    code = compact.upper()
    if len(code) != 14:
        raise ValueError("an eMAID without check digit has 14 characters 0-9 and A-Z")
    try:
        total = sum(weights[char] for weights, char in zip(_WEIGHTS, code, strict=True))
    except KeyError:
        raise ValueError("an eMAID without check digit has 14 characters 0-9 and A-Z") from None
    # The 15th position carries P1^15 = identity over GF(2), so the top row is taken as it is.
    top = (total & 0xFF) % 2, (total >> 8 & 0xFF) % 2
    bottom = _row_times(((total >> 16 & 0xFF) % 3, (total >> 24 & 0xFF) % 3), _NEG_P2_15_INV, 3)  # type: ignore[arg-type]
    return _ALPHABET[18 * top[0] + 9 * top[1] + 3 * bottom[0] + bottom[1]]


def parse_emaid(value: str) -> Emaid | None:
    """The parts of an eMAID-shaped value (`NL-TNM-000122045-U`, `NLTNM000122045U`, `nl-tnm-000122045`), else None.
    The check digit is not verified here: see `normalize_auth_id`."""
    match = _EMAID.fullmatch(value.strip().upper())
    if match is None:
        return None
    return Emaid(match["country"], match["provider"], match["instance"], match["check"])


# --- normalisation and checks per field -----------------------------------------------------------------------


def looks_like_chip_uid(value: str) -> bool:
    """A bare 8, 14 or 20 character hex string: how readers report 4, 7 and 10 byte chip UIDs."""
    return len(value) in _TYPICAL_UID_LENGTHS and _HEX.fullmatch(value) is not None


def normalize_uid(value: str) -> tuple[str, list[Warning_]]:
    """Strip and upper-case a chip UID; raises IdentifierError when it cannot be one."""
    uid = value.strip().upper()
    if not uid:
        raise IdentifierError("uid", "uid is empty: leave the column out or give the chip UID")
    if "-" in uid:
        raise IdentifierError(
            "uid",
            f"{uid!r} has hyphens, so it looks like a visible ID (the number printed on the card): "
            "put it in visual_number, not in uid (a chip UID never contains hyphens)",
        )
    if _UID_CHARS.fullmatch(uid) is None:
        raise IdentifierError("uid", f"{uid!r}: a uid has only letters A-Z and digits 0-9 (as the station sends it)")
    if len(uid) > UID_MAX:
        raise IdentifierError("uid", f"{uid!r} has {len(uid)} characters; a uid has at most {UID_MAX}")
    warnings = []
    if len(uid) > UID_MAX_OCPP16:
        warnings.append(
            Warning_(
                "uid",
                f"{uid!r} has {len(uid)} characters: OCPP 1.6 stations cannot send it (idTag is at most "
                f"{UID_MAX_OCPP16}); only OCPP 2.0.1 stations can",
            )
        )
    elif not looks_like_chip_uid(uid):
        warnings.append(
            Warning_(
                "uid",
                f"{uid!r} is not 8, 14 or 20 hex characters like a chip UID (e.g. 04AAAB11CD2345); "
                "check it against the idTag in the station's Authorize log",
            )
        )
    return uid, warnings


def normalize_visual_number(value: str) -> str:
    """Strip and upper-case a printed card number; raises IdentifierError for a chip UID typed in its place."""
    visual = value.strip().upper()
    if not visual:
        raise IdentifierError("visual_number", "visual_number is empty: leave it out or give the printed number")
    if looks_like_chip_uid(visual):
        raise IdentifierError(
            "visual_number",
            f"{visual!r} looks like a chip UID (8, 14 or 20 hex characters, no hyphens), not a printed visible ID: "
            "put it in uid instead",
        )
    if len(visual) > VISUAL_NUMBER_MAX or _VISUAL_CHARS.fullmatch(visual) is None:
        raise IdentifierError(
            "visual_number",
            f"{visual!r}: a visible ID has letters, digits and hyphens (e.g. NL-TNM-B12345-6), "
            f"at most {VISUAL_NUMBER_MAX} characters",
        )
    return visual


def normalize_auth_id(value: str) -> str:
    """Strip a contract ID and check it; raises IdentifierError, e.g. for an eMAID with a wrong check digit."""
    auth_id = value.strip()
    if not auth_id:
        raise IdentifierError("auth_id", "auth_id is empty: leave it out to use the uid, or give the contract ID")
    if len(auth_id) > AUTH_ID_MAX or _AUTH_CHARS.fullmatch(auth_id) is None:
        raise IdentifierError(
            "auth_id",
            f"{auth_id!r}: an auth_id has letters, digits, '-', '*', '_' or '.', starts with a letter or digit "
            f"and has at most {AUTH_ID_MAX} characters",
        )
    emaid = parse_emaid(auth_id)
    if emaid is not None and emaid.check_digit is not None and emaid.check_digit != check_digit(emaid.compact):
        raise IdentifierError(
            "auth_id",
            f"{auth_id!r} is an eMAID whose check digit {emaid.check_digit!r} is wrong (expected "
            f"{check_digit(emaid.compact)!r}, as in {emaid.formatted()}): check the contract ID for a typo",
        )
    return auth_id


def auth_key(auth_id: str) -> str:
    """The form compared for uniqueness and lookups: upper case (contract IDs are case-insensitive)."""
    return auth_id.upper()


@dataclass(frozen=True)
class Identifiers:
    uid: str | None
    auth_id: str
    visual_number: str | None
    warnings: tuple[Warning_, ...]


def check_identifiers(uid: str | None, auth_id: str | None, visual_number: str | None) -> Identifiers:
    """Normalise the three identifiers of a token. Blank values count as not given. A token without a contract ID
    uses its uid as auth_id; a token with neither cannot be presented at a station and is refused."""
    warnings: list[Warning_] = []
    clean_uid = None
    if uid is not None and uid.strip():
        clean_uid, warnings = normalize_uid(uid)
    clean_auth = normalize_auth_id(auth_id) if auth_id is not None and auth_id.strip() else None
    if clean_auth is None:
        if clean_uid is None:
            raise IdentifierError(
                "uid", "give the chip UID (uid) or a contract ID (auth_id): a token needs at least one of them"
            )
        clean_auth = clean_uid
    clean_visual = None
    if visual_number is not None and visual_number.strip():
        clean_visual = normalize_visual_number(visual_number)
    return Identifiers(clean_uid, clean_auth, clean_visual, tuple(warnings))


def uid_warnings(uid: str | None) -> list[Warning_]:
    """The warnings of a stored (already normalised) uid, for showing next to the token."""
    if not uid:
        return []
    try:
        return normalize_uid(uid)[1]
    except IdentifierError:
        return []
