"""Who may open the chat UI: nobody but this machine by default; a password file or a sign-in proxy otherwise.

The UI shows the shop's numbers and writes customer exports, so reachable from other machines it must know who
is asking. Two ways, both through Gradio's own hooks:

- a password file (`MKA_UI_AUTH_FILE`) of `user:scrypt$…` lines written by `mka ui-user`; passwords are never
  stored, only salted scrypt hashes, compared in constant time;
- a trusted identity header (`MKA_UI_TRUSTED_HEADER`, e.g. `X-Forwarded-User`) set by a reverse proxy that did
  the sign-in, believed only from the proxy's own addresses (`MKA_UI_TRUSTED_PROXIES`).

`check_exposure` refuses a non-loopback address without either, and says when passwords would travel unencrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# scrypt with n=2**14, r=8, p=1 uses 16 MB and ~50 ms per check: cheap for a sign-in, slow for a guesser.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024
HASH_PREFIX = "scrypt"
log = logging.getLogger("mka.ui")
_USER = re.compile(r"^[A-Za-z0-9._@+-]{1,64}$")
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


class UIAuthError(ValueError):
    """The UI's sign-in is misconfigured or missing where it is required; the message says what to do."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` (base64) for `password`; a fresh random salt unless one is given."""
    if not password:
        raise UIAuthError("a password must not be empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=SCRYPT_MAXMEM, dklen=32
    )
    b64 = base64.b64encode
    return f"{HASH_PREFIX}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != HASH_PREFIX:
        raise UIAuthError("not a scrypt hash written by `mka ui-user`")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except ValueError as exc:
        raise UIAuthError("a malformed scrypt hash") from exc
    if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16 and salt and len(digest) >= 16):
        raise UIAuthError("scrypt parameters out of range")
    return n, r, p, salt, digest


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the hash; constant-time comparison."""
    try:
        n, r, p, salt, digest = _parse_hash(encoded)
    except UIAuthError:
        return False
    candidate = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


class PasswordFile(BaseModel):
    """The users of a password file and their hashes (the file is read once, when the UI starts)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    users: dict[str, str] = Field(description="user -> scrypt hash")

    @classmethod
    def load(cls, path: Path) -> PasswordFile:
        """Read `user:hash` lines (blank lines and `#` comments allowed); a plain-text password is refused."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UIAuthError(f"MKA_UI_AUTH_FILE: cannot read {path}: {exc.strerror or exc}") from exc
        users: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, encoded = line.partition(":")
            if not sep or not _USER.match(user):
                raise UIAuthError(f"{path}:{number}: expected `user:hash` (add users with `mka ui-user NAME`)")
            try:
                _parse_hash(encoded)
            except UIAuthError as exc:
                raise UIAuthError(
                    f"{path}:{number}: {exc} for user {user!r}; plain-text passwords are not accepted "
                    "(write the line with `mka ui-user NAME`)"
                ) from exc
            users[user] = encoded
        if not users:
            raise UIAuthError(f"MKA_UI_AUTH_FILE: {path} names no user (add one with `mka ui-user NAME`)")
        return cls(path=path, users=users)

    def check(self, user: str, password: str) -> bool:
        """Gradio's `auth` callable: True for a known user with the right password."""
        encoded = self.users.get(user)
        if encoded is None:
            verify_password(password, _dummy_hash())  # as slow as for a known user: names cannot be probed
            return False
        return verify_password(password, encoded)

    def loosely_readable(self) -> bool:
        """True when the group or others may read the file (hashes can still be guessed at offline)."""
        return bool(self.path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


class SignInGuard:
    """Wraps a password check: a user with `max_failures` wrong passwords in `window_s` is locked out until the
    window has passed, and all failures together are capped, so guessing is slow and cannot eat the CPU
    (each check costs one scrypt)."""

    def __init__(
        self,
        check: Callable[[str, str], bool],
        max_failures: int = 5,
        window_s: float = 300.0,
        max_failures_total: int = 300,  # ~1 a second: bounds the CPU spent on guesses
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self.max_failures, self.window_s, self.max_failures_total = max_failures, window_s, max_failures_total
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def __call__(self, user: str, password: str) -> bool:
        now = self._clock()
        with self._lock:
            failures = self._failures.setdefault(user, deque())
            for times in (failures, self._all):
                while times and now - times[0] >= self.window_s:
                    times.popleft()
            if len(failures) >= self.max_failures or len(self._all) >= self.max_failures_total:
                log.warning("ui: sign-in for %r refused without checking: too many failures", user[:64])
                return False
        if self._check(user, password):
            return True
        with self._lock:
            self._failures.setdefault(user, deque()).append(now)
            self._all.append(now)
            if len(self._failures) > 10_000:  # forget names nobody tried lately
                self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < self.window_s}
        return False


def set_password(path: Path, user: str, password: str) -> None:
    """Add `user` to the password file, or replace their password; the file is written owner-only (0600)."""
    if not _USER.match(user):
        raise UIAuthError(f"user name {user!r}: use 1-64 letters, digits or . _ @ + -")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if line.strip().partition(":")[0] != user]
    kept.append(f"{user}:{hash_password(password)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(kept) + "\n")
    os.replace(tmp, path)


class TrustedHeader(BaseModel):
    """Sign-in by a reverse proxy: `header` names the user, believed only from `proxies`."""

    model_config = ConfigDict(frozen=True)

    header: str
    proxies: frozenset[str] = frozenset({"127.0.0.1", "::1"})

    def user(self, headers: dict[str, str], client_host: str | None) -> str | None:
        """The signed-in user, or None (no header, or the request did not come through a trusted proxy)."""
        if client_host is None or not _same_address(client_host, self.proxies):
            return None
        value = headers.get(self.header.lower(), "").strip()
        return value[:128] or None


def _same_address(host: str, proxies: frozenset[str]) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host in proxies
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # an IPv4 proxy seen by a dual-stack listener ("::")
    for proxy in proxies:
        try:
            if address in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


class UIAccess(BaseModel):
    """How the UI knows who is asking."""

    model_config = ConfigDict(frozen=True)

    mode: Literal["none", "password", "header"] = "none"
    passwords: PasswordFile | None = None
    trusted: TrustedHeader | None = None


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine (0.0.0.0 and '' accept every interface)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name or an unspecified address: reachable from elsewhere


def load_access(auth_file: Path | None, trusted_header: str | None, trusted_proxies: str) -> UIAccess:
    """The UI's access from its settings; UIAuthError when both or a broken file are configured."""
    if auth_file is not None and trusted_header:
        raise UIAuthError("set MKA_UI_AUTH_FILE or MKA_UI_TRUSTED_HEADER, not both")
    if auth_file is not None:
        return UIAccess(mode="password", passwords=PasswordFile.load(auth_file))
    if trusted_header:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", trusted_header):
            raise UIAuthError(f"MKA_UI_TRUSTED_HEADER: {trusted_header!r} is not a header name")
        proxies = frozenset(p.strip() for p in trusted_proxies.split(",") if p.strip())
        if not proxies:
            raise UIAuthError("MKA_UI_TRUSTED_PROXIES is empty: name the proxy addresses allowed to set the header")
        return UIAccess(mode="header", trusted=TrustedHeader(header=trusted_header, proxies=proxies))
    return UIAccess()


def check_exposure(host: str, access: UIAccess, tls: bool) -> list[str]:
    """Refuse (UIAuthError) a UI reachable from other machines without sign-in; warnings worth printing."""
    warnings: list[str] = []
    if access.passwords is not None and access.passwords.loosely_readable():
        warnings.append(f"{access.passwords.path} is readable by other users: chmod 600 it")
    if is_loopback(host):
        return warnings
    if access.mode == "none":
        raise UIAuthError(
            f"refusing to serve the UI on {host}: it would be open to anyone who can reach this machine. "
            "Set MKA_UI_AUTH_FILE (add users with `mka ui-user NAME`) or MKA_UI_TRUSTED_HEADER behind a "
            "sign-in proxy, or keep the default --host 127.0.0.1 (see README: Security)."
        )
    if access.mode == "password" and not tls:
        warnings.append(
            f"passwords will cross the network unencrypted on {host}: set MKA_UI_SSL_CERTFILE and "
            "MKA_UI_SSL_KEYFILE, or serve the UI through an HTTPS reverse proxy"
        )
    if access.mode == "header" and access.trusted is not None:
        warnings.append(
            f"only requests from {', '.join(sorted(access.trusted.proxies))} may set "
            f"{access.trusted.header}: make sure the UI's port on {host} is reachable only through the proxy"
        )
    return warnings
