"""Personal web links (``PUBLIC_URL/r/<token>``): tokens, their hashes and their lifetimes. Telegram-free."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

TOKEN_BYTES = 16  # 128 random bits
POLL_LINK_AFTER_CLOSE = timedelta(days=14)  # a poll's link still shows the visit time this long after it closes
ELU_LINK_DAYS = timedelta(days=30)
# what a token looks like in a URL (token_urlsafe of 16 bytes: 22 characters); anything else is refused unread
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to keep of it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets (or of their hashes)."""
    return hmac.compare_digest(a.encode(), b.encode())


def sign_form(secret: str, link_id: int) -> str:
    """A one-time key for a page's form: random, and signed for this link, so that the page costs no write (the
    key is only kept once used: see storage.polls.answer_by_link)."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_signature(secret, link_id, nonce)}"


def form_key_valid(secret: str, link_id: int, key: str) -> bool:
    """Whether ``key`` was made by sign_form for this link (constant-time)."""
    nonce, _, signature = key.partition(".")
    return bool(nonce) and same(signature, _signature(secret, link_id, nonce))


def _signature(secret: str, link_id: int, nonce: str) -> str:
    return hmac.new(secret.encode(), f"formulaire:{link_id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def link_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/r/{token}"


def poll_link_expiry(closed_at: datetime) -> datetime:
    return closed_at + POLL_LINK_AFTER_CLOSE


def elu_link_expiry(created_at: datetime) -> datetime:
    return created_at + ELU_LINK_DAYS


def masked(path: str) -> str:
    """A path as it may be logged: a token is never written anywhere."""
    return re.sub(r"/r/[^/?#]+", "/r/…", path)
