"""API limits and switches: defaults, overridable by CHATOCR_API_* environment variables and `chatocr serve` flags."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..settings import env


def _env(name: str, default):
    return env(name.removeprefix("CHATOCR_"), default)


@dataclass
class ApiConfig:
    workers: int = field(default_factory=lambda: _env("CHATOCR_API_WORKERS", 2))
    # Requests allowed to wait for a worker; the next one is answered 503 with Retry-After.
    max_queue: int = field(default_factory=lambda: _env("CHATOCR_API_QUEUE", 8))
    timeout_s: float = field(default_factory=lambda: _env("CHATOCR_API_TIMEOUT", 120.0))
    max_upload_bytes: int = field(default_factory=lambda: _env("CHATOCR_API_MAX_BYTES", 20 * 1024 * 1024))
    max_fields: int = field(default_factory=lambda: _env("CHATOCR_API_MAX_FIELDS", 32))
    # The memory budget of one request: decoded pixels of all its pages together (RGB, 3 bytes each;
    # PDF pages are rendered at a lower DPI to fit, images over it are 413). See InputLimits.
    max_total_pixels: int = field(default_factory=lambda: _env("CHATOCR_API_MAX_TOTAL_PIXELS", 100_000_000))
    # Extra OCR engines to load at start-up besides Settings.ocr_engine (requests pick one by name).
    extra_engines: list[str] = field(
        default_factory=lambda: [e for e in _env("CHATOCR_API_EXTRA_ENGINES", "").split(",") if e.strip()]
    )
    allow_url: bool = field(default_factory=lambda: _env("CHATOCR_API_ALLOW_URL", False))
    # Non-public networks that URL fetch may reach anyway (e.g. an intranet file server); empty = none.
    url_allow_networks: list[str] = field(default_factory=list)
    api_key: str | None = field(default_factory=lambda: _env("CHATOCR_API_KEY", None))
    # What the HTTP server itself allows (chatocr.api.server): open connections in all and per client
    # address (a fast 503 past either; 0 = no per-client cap, e.g. behind a proxy), the request line
    # plus headers in bytes (431 past it), seconds to send them (408 past it) and the body (the
    # connection is cut past it; default: the request timeout), and an idle keep-alive connection's life.
    max_connections: int = field(default_factory=lambda: _env("CHATOCR_API_MAX_CONNECTIONS", 1000))
    max_connections_per_client: int = field(
        default_factory=lambda: _env("CHATOCR_API_MAX_CONNECTIONS_PER_CLIENT", 64)
    )
    max_header_bytes: int = field(default_factory=lambda: int(_env("CHATOCR_API_MAX_HEADER_KB", 16.0) * 1024))
    header_timeout_s: float = field(default_factory=lambda: _env("CHATOCR_API_HEADER_TIMEOUT", 10.0))
    body_timeout_s: float | None = field(
        default_factory=lambda: _env("CHATOCR_API_BODY_TIMEOUT", 0.0) or None
    )
    keep_alive_s: float = field(default_factory=lambda: _env("CHATOCR_API_KEEP_ALIVE", 5.0))

    def allowed_networks(self):
        return [ipaddress.ip_network(n, strict=False) for n in self.url_allow_networks]

    @property
    def body_deadline_s(self) -> float:
        """Seconds a request's body may take to arrive: body_timeout_s, else the request timeout."""
        return self.body_timeout_s or self.timeout_s

    @property
    def max_body_bytes(self) -> int:
        # base64 in JSON is 4/3 of the document, plus room for the other form fields
        return self.max_upload_bytes * 4 // 3 + 256 * 1024
