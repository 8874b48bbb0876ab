"""Keyed pseudonyms for personal identifiers (fødselsnummer, HPR numbers).

HMAC-SHA256 with a secret key: the same person gets the same pseudonym within
one key, so distinct counts survive, but the clear value cannot be recovered
or re-derived without the key (unlike a plain hash of an 11-digit number,
which can be brute-forced in minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import uuid
from pathlib import Path

KEY_ENV_VAR = "EHELSE_PSEUDONYM_KEY"
# Development default: lets the demo run out of the box. Never use it with real data.
DEVELOPMENT_KEY = "ehelse-development-key-do-not-use-in-production"
_SHA256_BLOCK = 64  # bytes

log = logging.getLogger(__name__)
_warned_about_development_key = False


def pseudonym_key() -> bytes:
    """The key from EHELSE_PSEUDONYM_KEY, or the development default with a warning."""
    global _warned_about_development_key
    key = os.environ.get(KEY_ENV_VAR, "")
    if not key:
        if not _warned_about_development_key:
            log.warning("%s is not set: using the development pseudonym key (not for real data)", KEY_ENV_VAR)
            _warned_about_development_key = True
        key = DEVELOPMENT_KEY
    return key.encode("utf-8")


def pseudonymise(value: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of value under key (one-shot hmac.digest: OpenSSL's fast path)."""
    return hmac.digest(key, value.encode("utf-8"), "sha256").hex()


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """The inner and outer HMAC pads of key (RFC 2104), as named query parameters for hmac_sha256_sql."""
    block = hashlib.sha256(key).digest() if len(key) > _SHA256_BLOCK else key
    block = block.ljust(_SHA256_BLOCK, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in block), "hmac_opad": bytes(b ^ 0x5C for b in block)}


def hmac_sha256_sql(column: str) -> str:
    """A DuckDB expression equal to pseudonymise(column, key), given hmac_pads(key) as parameters.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)). DuckDB has sha256 but no
    HMAC; written out like this the pseudonyms are computed inside DuckDB, in
    parallel and without the clear values ever entering Python.
    """
    return f"sha256($hmac_opad || unhex(sha256($hmac_ipad || encode({column}))))"


def pseudonym_sql(column: str) -> str:
    """The stored pseudonym: the first 128 bits of the HMAC-SHA256, as a UUID (16 bytes; a
    collision among ten million people has a probability near 1e-25)."""
    return f"cast(substr({hmac_sha256_sql(column)}, 1, 32) as uuid)"


def pseudonym_uuid(value: str, key: bytes) -> uuid.UUID:
    """pseudonym_sql computed in Python (for tests and for anyone checking the warehouse)."""
    return uuid.UUID(pseudonymise(value, key)[:32])


# --------------------------------------------------------------------------- key policy (issue 17)

# Written by `ehelse demo-data` into the inbox it generates: the one inbox the development
# key may serve. Hidden, so the inbox scan never sees it as a file.
DEMO_MARKER = ".ehelse-demo-inbox"
KEY_FINGERPRINT_FILE = "pseudonym_key.fingerprint"


class KeyRefused(Exception):
    """The run would pseudonymise with a key that must not be used here."""


def key_fingerprint(key: bytes) -> str:
    """A keyed hash of a constant: tells keys apart, reveals nothing of the key."""
    return hmac.digest(key, b"ehelse pseudonym key fingerprint", "sha256").hex()[:32]


def check_key(inbox: Path, warehouse_dir: Path) -> None:
    """Refuse the development key on any inbox but the demo's, and a key other than the one the
    warehouse's pseudonyms were made with (distinct counts would silently mix two keys).
    The first run records the key's fingerprint, never the key."""
    if not os.environ.get(KEY_ENV_VAR) and not (inbox / DEMO_MARKER).exists():
        raise KeyRefused(
            f"{KEY_ENV_VAR} is not set: the development key, which anyone can read, may only serve the demo "
            f"inbox (written by `ehelse demo-data`, marked by {inbox / DEMO_MARKER}); set the key to load {inbox}"
        )
    fingerprint = key_fingerprint(pseudonym_key())
    recorded = warehouse_dir / KEY_FINGERPRINT_FILE
    if not recorded.exists():
        warehouse_dir.mkdir(parents=True, exist_ok=True)
        recorded.write_text(fingerprint + "\n")
        return
    if recorded.read_text().strip() != fingerprint:
        raise KeyRefused(
            f"{KEY_ENV_VAR} is not the key this warehouse's pseudonyms were made with (fingerprint in "
            f"{recorded}): a key rotation needs a full reload: run with the new key on a new, empty "
            f"EHELSE_WAREHOUSE_DIR over the whole inbox, then point the BI tools at it"
        )
