"""The HTTP server's own defences: uvicorn with its h11 protocol, subclassed.

uvicorn gives a keep-alive timeout and, with h11 (not httptools, its default when installed, which
buffers headers without a bound), a cap on an unfinished request head. What it lacks is added here,
at the connection, before any ASGI code runs:

- a cap on open connections, in all and per client address: past either, the connection gets a
  ready-made 503 (Retry-After) and is closed at once, so a flood of idle sockets cannot take the
  process to its file limit;
- a header deadline: the request line and headers must arrive within `header_timeout_s` of the
  connection opening (or of the previous answer on a kept-alive connection), else 408 and close;
  a byte that trickles in does not restart it;
- a header size cap counted by this protocol (431 and close), so no more than the cap is buffered;
- a body deadline: the body must arrive within `body_deadline_s` of the headers, else the
  connection is cut (the app sees the client gone and stops).

Why not another server: hypercorn and granian were weighed; neither has a per-client connection cap
or a header *deadline* (granian has none of these knobs in Python; hypercorn has h11 limits and a
keep-alive timeout only), so a subclass of uvicorn's protocol, which the project runs already, is
the smaller change. Ray Serve runs its own proxy (uvicorn with httptools): there only the keep-alive
and request timeouts can be set, and SECURITY.md puts a reverse proxy in front for the rest.
"""

from __future__ import annotations

import json
import logging
import resource
import threading
from collections import Counter
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .config import ApiConfig

log = logging.getLogger("chatocr.api")


@dataclass(frozen=True)
class ConnectionLimits:
    """The connection-level limits of one server (from ApiConfig; see its comments)."""

    max_connections: int = 1000
    max_connections_per_client: int = 64
    max_header_bytes: int = 16 * 1024
    header_timeout_s: float = 10.0
    body_timeout_s: float = 120.0
    keep_alive_s: float = 5.0

    @classmethod
    def from_config(cls, config: ApiConfig) -> ConnectionLimits:
        return cls(
            max_connections=config.max_connections,
            max_connections_per_client=config.max_connections_per_client,
            max_header_bytes=config.max_header_bytes,
            header_timeout_s=config.header_timeout_s,
            body_timeout_s=config.body_deadline_s,
            keep_alive_s=config.keep_alive_s,
        )


class ConnectionGuard:
    """Counts the open connections of one server, in all and per client address, and what was cut."""

    def __init__(self, limits: ConnectionLimits):
        self.limits = limits
        self.open = 0
        self.by_client: Counter = Counter()
        self.refused = 0
        self.header_timeouts = 0
        self.header_too_large = 0
        self.body_timeouts = 0
        self._lock = threading.Lock()  # protocols run on one loop; stats() may be read from another thread

    def admit(self, client: str) -> bool:
        lim = self.limits
        with self._lock:
            per = lim.max_connections_per_client
            if self.open >= lim.max_connections or (per and self.by_client[client] >= per):
                self.refused += 1
                return False
            self.open += 1
            self.by_client[client] += 1
            return True

    def release(self, client: str) -> None:
        with self._lock:
            self.open -= 1
            self.by_client[client] -= 1
            if self.by_client[client] <= 0:
                del self.by_client[client]

    def stats(self) -> dict:
        with self._lock:
            return {
                "open": self.open,
                "clients": len(self.by_client),
                "refused": self.refused,
                "header_timeouts": self.header_timeouts,
                "header_too_large": self.header_too_large,
                "body_timeouts": self.body_timeouts,
            }


def _raw_answer(status: int, reason: str, code: str, message: str, extra: str = "") -> bytes:
    """A complete HTTP/1.1 answer that closes the connection, written before or instead of h11's."""
    body = json.dumps({"error": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"connection: close\r\n{extra}\r\n"
    )
    return head.encode("latin-1") + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the connection caps and the header and body deadlines above.
    `guard` is set on the per-server subclass that `protocol_class` makes."""

    guard: ConnectionGuard

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._timer = None
        self._phase = "headers"  # headers -> body -> busy (the app answers) -> headers ...
        self._cycle_before = None
        self._header_bytes = 0
        self._tail = b""
        self._client_key = self.client[0] if self.client else ""
        self._admitted = self.guard.admit(self._client_key)
        if not self._admitted:
            lim = self.guard.limits
            msg = (
                f"too many open connections (at most {lim.max_connections:,} in all and "
                f"{lim.max_connections_per_client:,} per client address); retry shortly"
            )
            transport.write(
                _raw_answer(503, "Service Unavailable", "too_many_connections", msg, "retry-after: 1\r\n")
            )
            transport.close()
            return
        self._arm(self.guard.limits.header_timeout_s, self._header_deadline)

    def connection_lost(self, exc) -> None:
        self._cancel_timer()
        if getattr(self, "_admitted", False):
            self._admitted = False
            self.guard.release(self._client_key)
        super().connection_lost(exc)

    # ---------------------------------------------------------------- the phases of a request

    def _arm(self, delay: float, fn) -> None:
        self._cancel_timer()
        self._timer = self.loop.call_later(delay, fn)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        if not self._admitted:
            return
        if self._phase == "headers" and self.conn.their_state is h11.IDLE and self._head_too_long(data):
            with self.guard._lock:
                self.guard.header_too_large += 1
            self._close_with(
                431,
                "Request Header Fields Too Large",
                "header_too_large",
                f"the request line and headers are over {self.guard.limits.max_header_bytes:,} bytes",
            )
            return
        super().data_received(data)

    def _head_too_long(self, data: bytes) -> bool:
        """Whether the request head goes past the cap with `data`. A chunk may carry the end of the
        head and the start of the body: only the bytes before the blank line count."""
        limit, seen = self.guard.limits.max_header_bytes, self._header_bytes
        self._header_bytes += len(data)
        window = self._tail + data[: max(0, limit - seen) + 4]
        self._tail = data[-3:]
        if self._header_bytes <= limit:
            return False
        return b"\r\n\r\n" not in window and b"\n\n" not in window

    def handle_events(self) -> None:
        super().handle_events()
        if self.transport.is_closing():
            self._cancel_timer()
            return
        if self._phase == "headers" and self.cycle is not None and self.cycle is not self._cycle_before:
            self._phase = "body"  # a new request's head is in
            self._arm(self.guard.limits.body_timeout_s, self._body_deadline)
        if self._phase == "body" and not self.cycle.more_body:
            self._phase = "busy"
            self._cancel_timer()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._phase = "headers"
            self._cycle_before = self.cycle
            self._header_bytes = 0
            self._tail = b""
            self._arm(self.guard.limits.header_timeout_s, self._header_deadline)
        super().on_response_complete()  # may run the next pipelined request's events

    def _header_deadline(self) -> None:
        self._timer = None
        if self._phase != "headers" or self.transport.is_closing():
            return
        with self.guard._lock:
            self.guard.header_timeouts += 1
        self._close_with(
            408,
            "Request Timeout",
            "header_timeout",
            f"the request line and headers did not arrive within {self.guard.limits.header_timeout_s:g} s",
        )

    def _body_deadline(self) -> None:
        self._timer = None
        if self._phase != "body" or self.transport.is_closing() or not self.cycle.more_body:
            return
        with self.guard._lock:
            self.guard.body_timeouts += 1
        log.info("request body from %s not complete within %g s; closed", self._client_key, self._body_s)
        self.transport.close()  # the app's receive() reports the client gone

    @property
    def _body_s(self) -> float:
        return self.guard.limits.body_timeout_s

    def _close_with(self, status: int, reason: str, code: str, message: str) -> None:
        self._cancel_timer()
        if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            self.transport.write(_raw_answer(status, reason, code, message))
        self.transport.close()


def protocol_class(guard: ConnectionGuard) -> type[GuardedH11Protocol]:
    """A GuardedH11Protocol subclass bound to `guard` (uvicorn builds one protocol per connection)."""
    return type("ChatocrH11Protocol", (GuardedH11Protocol,), {"guard": guard})


def file_limit(want: int) -> int:
    """Raise this process's open-file limit towards `want` (up to the hard limit); the soft limit after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    return soft


def uvicorn_config(app, config: ApiConfig, *, host: str, port: int, log_level: str = "info", **kw):
    """The uvicorn.Config of the guarded server; the connection cap is lowered (with a warning) where
    the open-file limit would be reached first."""
    import uvicorn

    limits = ConnectionLimits.from_config(config)
    # every connection is a file, and the models, logs and sockets of the app need some too
    spare = 256
    soft = file_limit(limits.max_connections + spare)
    if soft != resource.RLIM_INFINITY and limits.max_connections + spare > soft:
        fitted = max(1, soft - spare)
        log.warning(
            "max_connections %d lowered to %d: the open-file limit is %d",
            limits.max_connections,
            fitted,
            soft,
        )
        limits = ConnectionLimits(**{**limits.__dict__, "max_connections": fitted})
    guard = ConnectionGuard(limits)
    state = getattr(getattr(app, "state", None), "chatocr", None)
    if state is not None:
        state.connections = guard
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=protocol_class(guard),
        h11_max_incomplete_event_size=limits.max_header_bytes,
        timeout_keep_alive=max(1, round(limits.keep_alive_s)),
        **kw,
    )


def run_server(app, config: ApiConfig, *, host: str, port: int, log_level: str = "info") -> None:
    """`chatocr serve`: the app under the guarded uvicorn until interrupted."""
    import uvicorn

    uvicorn.Server(
        uvicorn_config(app, config, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)
    ).run()
