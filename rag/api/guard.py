"""Who may call the API: its own host names only, a bearer key when one is set, and
signed links for the source view.

DNS rebinding: a web page on evil.example can point that name at 127.0.0.1 and read a
loopback API through the browser. Its requests carry ``Host: evil.example`` (and its own
``Origin``), so a request whose Host or Origin is not this server's is refused. Browsers
get no CORS grant unless the operator lists origins.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    def __init__(
        self,
        bind_host: str,
        port: int,
        key: str | None,
        extra_hosts: list[str],
        origins: list[str],
    ) -> None:
        names = {*LOOPBACK_NAMES, bind_host, *extra_hosts}
        self.hosts = {f"{n}:{port}" for n in names} | {n for n in extra_hosts}
        if port in (80, 443):
            self.hosts |= names
        self.origins = {f"{scheme}://{h}" for h in self.hosts for scheme in ("http", "https")}
        self.cors = set(origins)
        self.key = key
        # links stay valid while the key does; without a key, for this process's life
        self._secret = (key or secrets.token_hex(32)).encode()

    def host_ok(self, host: str | None) -> bool:
        return host is not None and host.lower() in self.hosts

    def origin_ok(self, origin: str | None) -> bool:
        return origin is None or origin in self.origins or origin in self.cors

    def key_ok(self, authorization: str | None) -> bool:
        if self.key is None:
            return True
        scheme, _, token = (authorization or "").partition(" ")
        given = token.strip().encode() if scheme.lower() == "bearer" else b""
        return hmac.compare_digest(given, self.key.encode())  # constant time

    def sign(self, doc_id: str, start: int, end: int, chars: str) -> str:
        message = f"{doc_id}:{start}:{end}:{chars}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def signature_ok(self, doc_id: str, start: int, end: int, chars: str, sig: str) -> bool:
        return hmac.compare_digest(self.sign(doc_id, start, end, chars), sig)
