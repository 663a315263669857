"""The ledger's MAC keys: parsing `GOVCMS_LEDGER_KEYS`, with no Django import.

The value is `kid:base64key,kid:base64key,...`, newest first: new events and anchors are signed
with the first key, and every key listed still verifies what it signed, so a key is rotated by
prepending a new one and retired only once nothing it signed needs verifying any more. The keys
live in the application's environment, never in the database, so a database role (owner or not)
cannot forge an event or an anchor. The settings import this module, hence no Django here.
"""

import base64
import binascii
import re
from dataclasses import dataclass

# A key id is stored in every event and anchor; short and printable keeps it out of the way.
KID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")
MIN_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class LedgerKeys:
    """The parsed key list: `current` signs new events; `by_kid` verifies old and new alike."""

    current: str
    by_kid: dict[str, bytes]


def parse_ledger_keys(text: str) -> LedgerKeys:
    """Parse `kid:base64key,...` (newest first); ValueError naming the problem.

    Every key must decode (standard or URL-safe base64) to at least 32 bytes, key ids must match
    KID_PATTERN and be unique.
    """
    by_kid: dict[str, bytes] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        kid, separator, encoded = entry.partition(":")
        kid = kid.strip()
        if not separator or not KID_PATTERN.match(kid):
            raise ValueError(f"each entry must be kid:base64key with a kid of 1-16 of [A-Za-z0-9_.-], got {kid!r}")
        if kid in by_kid:
            raise ValueError(f"key id {kid!r} is listed twice")
        encoded = encoded.strip().replace("-", "+").replace("_", "/")
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError(f"key {kid!r} is not base64") from error
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"key {kid!r} has {len(key)} bytes; at least {MIN_KEY_BYTES} are needed")
        by_kid[kid] = key
    if not by_kid:
        raise ValueError("no key given")
    return LedgerKeys(current=next(iter(by_kid)), by_kid=by_kid)
