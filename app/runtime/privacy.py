"""Privacy of state: what the worker keeps in Kafka and on disk holds no raw phone number.

Phone numbers are personal information (PIPL); the worker's own topics and state would
otherwise hold millions of them for as long as the recipient is known. So, at the boundary
between the worker and Kafka/RocksDB (the decision core and replay never see any of this):

- keys: the recipient key (an E.164 number) becomes a keyed hash, HMAC-SHA256 under a key
  derived from the state secret, truncated to 128 bits and hex-encoded. It is stable, so it
  partitions and joins like the number did, and without the secret it cannot be reversed by
  hashing all ~10^10 numbers of a numbering plan, as a plain hash could.
- values: internal-topic records and table values are sealed with AES-256-GCM under a second
  key derived from the same secret (random 96-bit nonce per value, the key bound in as
  associated data so a value cannot be moved to another recipient's key).

Both keys come from one secret (SENDGUARD_STATE_SECRET). Changing it makes every stored key
unreachable, which would forget opt-outs: it must be kept for the life of the state.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Used only in development mode when no secret is set (the worker warns): anyone can
# recompute keys made with it, so production refuses to start without a secret of its own.
DEVELOPMENT_SECRET = "sendguard-development-secret-not-for-production"
MIN_SECRET_BYTES = 16
RECIPIENT_KEY_BYTES = 32  # hex characters of a stored recipient key
_HEX = frozenset(b"0123456789abcdef")
_FORMAT = b"\x01"  # first byte of a sealed value: the sealing scheme's version
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value is corrupt, or was sealed under another secret or for another key."""


class StateSealer:
    """Keyed hashing of recipient keys and authenticated encryption of stored values."""

    def __init__(self, secret: str) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the state secret must be at least {MIN_SECRET_BYTES} bytes")
        root = secret.encode()
        self._key_hmac = hmac.new(root, b"sendguard/recipient-key/v1", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(root, b"sendguard/state-value/v1", hashlib.sha256).digest())

    def recipient_key(self, key: str) -> bytes:
        """The stored form of a recipient key: 32 hex characters, no phone number."""
        return hmac.new(self._key_hmac, key.encode(), hashlib.sha256).hexdigest()[:32].encode()

    @staticmethod
    def is_recipient_key(key: bytes) -> bool:
        """Whether a stored key is a recipient's (not Faust's bookkeeping or an index)."""
        return len(key) == RECIPIENT_KEY_BYTES and _HEX.issuperset(key)

    def seal(self, plaintext: bytes, key: bytes) -> bytes:
        """Encrypt and authenticate a value stored under `key` (an already hashed key)."""
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, key)

    def open(self, sealed: bytes, key: bytes) -> bytes:
        """The plaintext of a value sealed under `key`; SealError if it was tampered with."""
        if sealed[:1] != _FORMAT or len(sealed) < 1 + _NONCE_BYTES + 16:
            raise SealError("not a sealed SendGuard value")
        nonce = sealed[1:1 + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, sealed[1 + _NONCE_BYTES:], key)
        except InvalidTag as exc:
            raise SealError("sealed value does not authenticate (another secret or key?)") \
                from exc
