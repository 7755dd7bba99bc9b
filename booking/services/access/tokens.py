"""Secret link tokens: one way to store them (SHA-256) and one way to derive them (HMAC).

Every link token of the service (API tokens, feed tokens, RSVP links, the customer's case page,
surveys) is stored only as ``hash_token``; derived tokens come from SECRET_KEY with
``derive_token``, so a database dump alone reveals none and a new SECRET_KEY revokes them.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def derive_token(secret_key: str, message: str) -> str:
    """An unguessable URL-safe token for ``message`` (HMAC-SHA256 under SECRET_KEY)."""
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode("ascii").rstrip("=")
