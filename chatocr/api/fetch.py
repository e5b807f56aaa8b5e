"""Fetching a document from a URL, guarded against server-side request forgery.

Only http/https. The host is resolved and *every* address is checked by `refusal_reason`: an address
must be globally routable (`ipaddress` `is_global`), and a list of special ranges is refused by name
whatever the Python version thinks of them (shared address space 100.64.0.0/10, which holds cloud
metadata endpoints; benchmarking, IETF-protocol and reserved IPv4; NAT64, 6to4, Teredo, IPv4-mapped
and IPv4-compatible IPv6 judged by the IPv4 address they carry). The connection then goes to the
checked address (a second DNS answer cannot swap it), and each redirect hop is checked the same way.

One deadline covers resolving, connecting, every redirect and the body; the byte cap is enforced
while the body streams (undecoded: no decompression bombs); the download is a coroutine, so a
cancelled request (client gone, deadline passed) stops it at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ocr_stage import InputError, InputTooLarge

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(InputError):
    """The URL points somewhere this server will not fetch from."""


class FetchTimeout(InputError):
    """The download did not finish within its deadline."""


def _system_resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as e:
        raise InputError(f"{host}: the host name does not resolve ({e})") from None
    return sorted({info[4][0] for info in infos})


_net = ipaddress.ip_network

# Refused by name, before the generic checks (some of these are `is_global` in some Python versions).
SPECIAL_V4: list[tuple[ipaddress.IPv4Network, str]] = [
    (_net("0.0.0.0/8"), "'this network' (0.0.0.0/8)"),
    (_net("100.64.0.0/10"), "shared address space (100.64.0.0/10, carrier-grade NAT and cloud metadata)"),
    (_net("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"),
    (_net("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"),
    (_net("240.0.0.0/4"), "reserved (240.0.0.0/4)"),
    (_net("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
]
SPECIAL_V6: list[tuple[ipaddress.IPv6Network, str]] = [
    (_net("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"),
    (_net("2001::/32"), "Teredo (2001::/32)"),
    (_net("2001:db8::/32"), "documentation (2001:db8::/32)"),
    (_net("3fff::/20"), "documentation (3fff::/20)"),
    (_net("100::/64"), "discard-only (100::/64)"),
    (_net("fec0::/10"), "site-local (fec0::/10)"),
    (_net("fc00::/7"), "unique local (fc00::/7)"),
    (_net("ff00::/8"), "multicast (ff00::/8)"),
]
NAT64 = _net("64:ff9b::/96")
SIX_TO_FOUR = _net("2002::/16")
V4_COMPATIBLE = _net("::/96")


def _embedded(what: str, v4: ipaddress.IPv4Address) -> str:
    inner = refusal_reason(v4)
    return f"{what} embedding {v4}" + (f", which is {inner}" if inner else "")


def refusal_reason(addr: Address) -> str | None:
    """Why `addr` must not be fetched from, or None when it is a globally routable unicast address."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            inner = refusal_reason(addr.ipv4_mapped)
            return f"IPv4-mapped {addr.ipv4_mapped}, which is {inner}" if inner else None
        if addr in SIX_TO_FOUR:
            return _embedded("6to4 (2002::/16)", addr.sixtofour)
        if addr in NAT64:
            return _embedded("NAT64 (64:ff9b::/96)", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
        if addr in V4_COMPATIBLE and int(addr) > 1:
            return _embedded(
                "IPv4-compatible IPv6 (::/96, deprecated)", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
            )
        specials: Iterable[tuple[ipaddress._BaseNetwork, str]] = SPECIAL_V6
    else:
        specials = SPECIAL_V4
    for net, why in specials:
        if addr in net:
            return why
    for flag, why in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
        ("is_site_local", "site-local"),
    ):
        if getattr(addr, flag, False):
            return why
    if not addr.is_global:
        return "not globally routable"
    return None


def _parse_ip(text: str) -> Address:
    return ipaddress.ip_address(text.split("%")[0])


@dataclass
class UrlPolicy:
    """What may be fetched. `allow` lists networks that are permitted even though not public
    (empty by default: only public addresses). `timeout_s` is the whole download's deadline."""

    allow: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    max_redirects: int = 3
    timeout_s: float = 15.0
    resolve: Callable[[str, int], Iterable[str]] = _system_resolve

    def reason(self, addr: Address) -> str | None:
        """None when `addr` may be fetched from, else why not."""
        why = refusal_reason(addr)
        if why is None:
            return None
        candidates = [addr]
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            candidates.append(addr.ipv4_mapped)
        if any(a.version == net.version and a in net for a in candidates for net in self.allow):
            return None
        return why

    def _split(self, url: str) -> tuple[str, int, str]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise InputError(f"{url[:200]}: not a valid URL ({e})") from None
        scheme = (parts.scheme or "").lower()
        if scheme not in ("http", "https"):
            raise UrlRefused(
                f"{url[:200]}: only http and https URLs can be fetched, not {scheme or 'no scheme'!r}"
            )
        host = parts.hostname
        if not host:
            raise InputError(f"{url[:200]}: the URL has no host")
        if parts.username or parts.password:
            raise UrlRefused(f"{url[:200]}: URLs with credentials are not fetched")
        return scheme, port or (443 if scheme == "https" else 80), host

    def _judge(self, url: str, host: str, addrs: list[Address]) -> list[str]:
        if not addrs:
            raise InputError(f"{host}: the host name does not resolve")
        bad = [(a, self.reason(a)) for a in addrs]
        bad = [f"{a} ({why})" for a, why in bad if why]
        if bad:
            raise UrlRefused(
                f"{url[:200]}: refused, {host} resolves to a non-public address: {'; '.join(bad)[:400]}; "
                "only documents on public addresses can be fetched"
            )
        return [str(a) for a in addrs]

    def _literal(self, host: str) -> list[Address] | None:
        try:
            return [_parse_ip(host)]
        except ValueError:
            return None

    def check(self, url: str) -> tuple[str, int, str, list[str]]:
        """(scheme, port, host, addresses) of an acceptable URL; `UrlRefused` otherwise."""
        scheme, port, host = self._split(url)
        addrs = self._literal(host)
        if addrs is None:
            addrs = [_parse_ip(a) for a in self.resolve(host, port)]
        return scheme, port, host, self._judge(url, host, addrs)

    async def check_async(self, url: str) -> tuple[str, int, str, list[str]]:
        """`check`, with name resolution on a thread so the event loop keeps serving."""
        scheme, port, host = self._split(url)
        addrs = self._literal(host)
        if addrs is None:
            addrs = [_parse_ip(a) for a in await asyncio.to_thread(lambda: list(self.resolve(host, port)))]
        return scheme, port, host, self._judge(url, host, addrs)


async def fetch_url_async(
    url: str,
    policy: UrlPolicy | None = None,
    max_bytes: int = 50 * 1024 * 1024,
    *,
    deadline: float | None = None,
) -> bytes:
    """Download `url` under `policy`, following at most `policy.max_redirects` checked redirects.

    `deadline` (a `time.monotonic()` value; default now + policy.timeout_s) bounds everything:
    resolving, connecting, redirects and the body. Cancelling the task stops the download."""
    import httpx

    policy = policy or UrlPolicy()
    if deadline is None:
        deadline = time.monotonic() + policy.timeout_s
    limit_s = max(0.0, deadline - time.monotonic())
    try:
        return await asyncio.wait_for(_download(url, policy, max_bytes, deadline), timeout=limit_s)
    except (asyncio.TimeoutError, httpx.TimeoutException):
        raise FetchTimeout(f"{url[:200]}: the download did not finish within {limit_s:.3g} s") from None


async def _download(url: str, policy: UrlPolicy, max_bytes: int, deadline: float) -> bytes:
    import httpx

    original = url
    try:
        for _hop in range(policy.max_redirects + 1):
            scheme, port, host, addrs = await policy.check_async(url)
            ip = addrs[0]
            netloc = f"[{ip}]" if ":" in ip else ip
            pinned = urlsplit(url)._replace(netloc=f"{netloc}:{port}").geturl()
            host_header = host if port in (80, 443) else f"{host}:{port}"
            remaining = max(0.01, deadline - time.monotonic())
            async with httpx.AsyncClient(
                timeout=remaining, follow_redirects=False, trust_env=False
            ) as client:
                async with client.stream(
                    "GET",
                    pinned,
                    headers={"Host": host_header, "Accept-Encoding": "identity"},
                    extensions={"sni_hostname": host},
                ) as resp:
                    if resp.is_redirect:
                        loc = resp.headers.get("location")
                        if not loc:
                            raise InputError(f"{url[:200]}: redirect without a Location header")
                        url = urljoin(url, loc)
                        continue  # the next hop's URL is split and checked like the first
                    if resp.status_code != 200:
                        raise InputError(f"{url[:200]}: the server answered HTTP {resp.status_code}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise InputTooLarge(
                            f"{url[:200]}: document is {int(declared):,} bytes, over the limit of {max_bytes:,}"
                        )
                    buf = bytearray()
                    async for chunk in resp.aiter_raw():  # raw: the cap counts bytes as sent
                        buf += chunk
                        if len(buf) > max_bytes:
                            raise InputTooLarge(
                                f"{url[:200]}: document is over the limit of {max_bytes:,} bytes"
                            )
                    return bytes(buf)
        raise UrlRefused(f"{original[:200]}: more than {policy.max_redirects} redirects")
    except (httpx.TimeoutException, InputError):
        raise
    except (httpx.HTTPError, httpx.InvalidURL, httpx.CookieConflict, httpx.StreamError) as e:
        # InvalidURL is not an HTTPError: a redirect to `http:foo/x` raises it while building the request
        raise InputError(f"{url[:200]}: could not fetch ({type(e).__name__}: {e})") from None
    except (ValueError, UnicodeError) as e:  # a Location that urljoin or the URL parser cannot take
        raise InputError(f"{url[:200]}: could not fetch (bad URL: {e})") from None
