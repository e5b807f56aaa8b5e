"""Fetching a document from a URL, guarded against server-side request forgery.

Only http/https. The host is resolved and *every* address is checked (loopback, private,
link-local, multicast, reserved and unspecified ranges are refused); the connection then goes to
the checked address (so a second DNS answer cannot swap it), and each redirect hop is checked the
same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ocr_stage import InputError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(InputError):
    """The URL points somewhere this server will not fetch from."""


def _system_resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as e:
        raise InputError(f"{host}: the host name does not resolve ({e})") from None
    return sorted({info[4][0] for info in infos})


def is_public(addr: Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or (isinstance(addr, ipaddress.IPv6Address) and (addr.sixtofour is not None or addr.teredo is not None))
    )


@dataclass
class UrlPolicy:
    """What may be fetched. `allow` lists networks that are permitted even though not public
    (empty by default: only public addresses)."""

    allow: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    max_redirects: int = 3
    timeout_s: float = 15.0
    resolve: Callable[[str, int], Iterable[str]] = _system_resolve

    def permitted(self, addr: Address) -> bool:
        return is_public(addr) or any(addr in net for net in self.allow)

    def check(self, url: str) -> tuple[str, int, str, list[str]]:
        """(scheme, port, host, addresses) of an acceptable URL; `UrlRefused` otherwise."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise InputError(f"{url[:200]}: not a valid URL ({e})") from None
        scheme = (parts.scheme or "").lower()
        if scheme not in ("http", "https"):
            raise UrlRefused(f"{url[:200]}: only http and https URLs can be fetched, not {scheme or 'no scheme'!r}")
        host = parts.hostname
        if not host:
            raise InputError(f"{url[:200]}: the URL has no host")
        if parts.username or parts.password:
            raise UrlRefused(f"{url[:200]}: URLs with credentials are not fetched")
        port = port or (443 if scheme == "https" else 80)
        try:
            addrs = [ipaddress.ip_address(host)]
        except ValueError:
            addrs = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolve(host, port)]
        if not addrs:
            raise InputError(f"{host}: the host name does not resolve")
        bad = [str(a) for a in addrs if not self.permitted(a)]
        if bad:
            raise UrlRefused(
                f"{url[:200]}: refused, {host} resolves to a non-public address ({', '.join(bad)}); "
                "only documents on public addresses can be fetched"
            )
        return scheme, port, host, [str(a) for a in addrs]


def fetch_url(url: str, policy: UrlPolicy | None = None, max_bytes: int = 50 * 1024 * 1024) -> bytes:
    """Download `url` under `policy`, following at most `policy.max_redirects` checked redirects."""
    import httpx

    policy = policy or UrlPolicy()
    for _hop in range(policy.max_redirects + 1):
        scheme, port, host, addrs = policy.check(url)
        ip = addrs[0]
        netloc = f"[{ip}]" if ":" in ip else ip
        parts = urlsplit(url)
        pinned = parts._replace(netloc=f"{netloc}:{port}").geturl()
        host_header = host if port in (80, 443) else f"{host}:{port}"
        try:
            with httpx.Client(timeout=policy.timeout_s, follow_redirects=False, trust_env=False) as client:
                with client.stream(
                    "GET", pinned, headers={"Host": host_header}, extensions={"sni_hostname": host}
                ) as resp:
                    if resp.is_redirect:
                        loc = resp.headers.get("location")
                        if not loc:
                            raise InputError(f"{url[:200]}: redirect without a Location header")
                        url = urljoin(url, loc)
                        continue
                    if resp.status_code != 200:
                        raise InputError(f"{url[:200]}: the server answered HTTP {resp.status_code}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise InputError(f"{url[:200]}: document is {int(declared):,} bytes, over the limit of {max_bytes:,}")
                    buf = bytearray()
                    for chunk in resp.iter_bytes():
                        buf += chunk
                        if len(buf) > max_bytes:
                            raise InputError(f"{url[:200]}: document is over the limit of {max_bytes:,} bytes")
                    return bytes(buf)
        except httpx.HTTPError as e:
            raise InputError(f"{url[:200]}: could not fetch ({type(e).__name__}: {e})") from None
    raise UrlRefused(f"{url[:200]}: more than {policy.max_redirects} redirects")
