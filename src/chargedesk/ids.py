"""Server-generated identifiers: time-ordered (ULID layout), so keyset pagination follows creation order."""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_last = [0, 0]


def new_id(prefix: str) -> str:
    """`prefix_` + 26 Crockford base32 characters: 48-bit milliseconds then 80 bits that grow within a millisecond."""
    ms = time.time_ns() // 1_000_000
    if ms <= _last[0]:
        ms = _last[0]
        rand = _last[1] + 1
    else:
        rand = int.from_bytes(os.urandom(10), "big") >> 1
    _last[0], _last[1] = ms, rand
    value = (ms << 80) | (rand & ((1 << 80) - 1))
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"
