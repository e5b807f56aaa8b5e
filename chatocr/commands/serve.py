"""`chatocr serve`: the HTTP API under uvicorn."""

from __future__ import annotations

import click

from .common import (
    backend_option,
    base_url_option,
    command_settings,
    engine_option,
    is_verbose,
    llm_threads_option,
    model_option,
    ocr_threads_option,
    ray_address_option,
    user_errors,
    verbose_option,
)

_opt = click.option


@click.command()
@_opt(
    "-H",
    "--host",
    default="127.0.0.1",
    envvar="CHATOCR_API_HOST",
    show_default=True,
    show_envvar=True,
    help="Address to listen on (0.0.0.0 for all interfaces).",
)
@_opt("-P", "--port", type=int, default=8000, envvar="CHATOCR_API_PORT", show_default=True, show_envvar=True)
@engine_option
@ocr_threads_option
@_opt(
    "-x",
    "--extra-engines",
    default=None,
    envvar="CHATOCR_API_EXTRA_ENGINES",
    show_envvar=True,
    help="More OCR engines to load at start-up, comma-separated (requests pick one by name).",
)
@backend_option
@model_option
@base_url_option
@llm_threads_option
@_opt(
    "--no-llm",
    is_flag=True,
    envvar="CHATOCR_API_NO_LLM",
    show_envvar=True,
    help="Serve OCR only (/v1/extract answers 503).",
)
@_opt(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    envvar="CHATOCR_API_WORKERS",
    show_envvar=True,
    help="Pipeline worker threads (OCR of one request overlaps the LLM stage of another); default 2.",
)
@_opt(
    "--queue",
    "max_queue",
    type=click.IntRange(min=0),
    default=None,
    envvar="CHATOCR_API_QUEUE",
    show_envvar=True,
    help="Requests that may wait for a worker (default 8); beyond that the answer is 503 + Retry-After.",
)
@_opt(
    "-T",
    "--timeout",
    "timeout_s",
    type=float,
    default=None,
    envvar="CHATOCR_API_TIMEOUT",
    show_envvar=True,
    help="Per-request processing limit in seconds (default 120; 504 past it).",
)
@_opt(
    "--max-upload-mb",
    type=float,
    default=None,
    envvar="CHATOCR_API_MAX_MB",
    show_envvar=True,
    help="Largest document in MB (default 20).",
)
@_opt(
    "--max-fields",
    type=click.IntRange(min=1),
    default=None,
    envvar="CHATOCR_API_MAX_FIELDS",
    show_envvar=True,
    help="Most fields per request (default 32, at most 64).",
)
@_opt(
    "--allow-url/--no-allow-url",
    default=None,
    envvar="CHATOCR_API_ALLOW_URL",
    show_envvar=True,
    help="Let requests name a document by URL (public addresses only; default off).",
)
@_opt(
    "--max-connections",
    type=click.IntRange(min=1),
    default=None,
    envvar="CHATOCR_API_MAX_CONNECTIONS",
    show_envvar=True,
    help="Open connections in all (default 1000); past it a new one gets 503 + Retry-After and is closed.",
)
@_opt(
    "--max-connections-per-client",
    type=click.IntRange(min=0),
    default=None,
    envvar="CHATOCR_API_MAX_CONNECTIONS_PER_CLIENT",
    show_envvar=True,
    help="Open connections per client address (default 64; 0: no cap, e.g. behind a reverse proxy).",
)
@_opt(
    "--max-header-kb",
    type=click.FloatRange(min=1),
    default=None,
    envvar="CHATOCR_API_MAX_HEADER_KB",
    show_envvar=True,
    help="Request line + headers in KB (default 16); 431 and close past it.",
)
@_opt(
    "--header-timeout",
    "header_timeout_s",
    type=click.FloatRange(min=0.1),
    default=None,
    envvar="CHATOCR_API_HEADER_TIMEOUT",
    show_envvar=True,
    help="Seconds for the request line + headers to arrive (default 10); 408 and close past it.",
)
@_opt(
    "--body-timeout",
    "body_timeout_s",
    type=click.FloatRange(min=0.1),
    default=None,
    envvar="CHATOCR_API_BODY_TIMEOUT",
    show_envvar=True,
    help="Seconds for the request body to arrive after the headers (default: --timeout); cut past it.",
)
@_opt(
    "--keep-alive",
    "keep_alive_s",
    type=click.FloatRange(min=1),
    default=None,
    envvar="CHATOCR_API_KEEP_ALIVE",
    show_envvar=True,
    help="Seconds an idle kept-alive connection stays open (default 5).",
)
@_opt(
    "--log-level",
    default="info",
    show_default=True,
    envvar="CHATOCR_LOG_LEVEL",
    show_envvar=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@ray_address_option(
    "Serve with Ray Serve (`make setup-ray`), OCR and LLM as separate deployments: alone, a Ray "
    "instance on this machine; `auto` the cluster this machine joined; `ray://HOST:10001` or "
    "`HOST:6379` another. Same endpoints, limits, auth and errors.",
)
@_opt(
    "--ocr-replicas",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="CHATOCR_RAY_OCR_REPLICAS",
    show_envvar=True,
    help="With --ray: OCR deployment replicas (one CPU each, --ocr-threads more).",
)
@_opt(
    "--llm-replicas",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="CHATOCR_RAY_LLM_REPLICAS",
    show_envvar=True,
    help="With --ray: LLM deployment replicas (a GPU each when the cluster has GPUs and the model "
    "runs in-process; -b openai replicas are HTTP clients).",
)
@verbose_option
@user_errors
def serve(
    host,
    port,
    extra_engines,
    no_llm,
    workers,
    max_queue,
    timeout_s,
    max_upload_mb,
    max_fields,
    allow_url,
    max_connections,
    max_connections_per_client,
    max_header_kb,
    header_timeout_s,
    body_timeout_s,
    keep_alive_s,
    log_level,
    ray_address,
    ocr_replicas,
    llm_replicas,
    **_settings,
):
    """Run the HTTP API (FastAPI + uvicorn). Docs at /docs; set CHATOCR_API_KEY to require a bearer token.

    The connection limits (--max-connections ... --keep-alive) are the server's own; with --ray,
    only --keep-alive and --timeout reach Ray Serve's proxy: put a reverse proxy in front for the
    rest (SECURITY.md)."""
    import dataclasses

    from ..api import ApiConfig

    settings = command_settings()
    given = {
        "workers": workers,
        "max_queue": max_queue,
        "timeout_s": timeout_s,
        "max_upload_bytes": None if max_upload_mb is None else int(max_upload_mb * 1024 * 1024),
        "max_fields": max_fields,
        "allow_url": allow_url,
        "max_connections": max_connections,
        "max_connections_per_client": max_connections_per_client,
        "max_header_bytes": None if max_header_kb is None else int(max_header_kb * 1024),
        "header_timeout_s": header_timeout_s,
        "body_timeout_s": body_timeout_s,
        "keep_alive_s": keep_alive_s,
        "extra_engines": None
        if extra_engines is None
        else [e.strip() for e in extra_engines.split(",") if e.strip()],
    }
    if ray_address:
        if given["extra_engines"]:
            raise click.UsageError("--extra-engines is not available with --ray (one OCR deployment)")
        if workers is None:  # enough workers to keep every replica busy
            given["workers"] = ocr_replicas + (0 if no_llm else llm_replicas)
    config = dataclasses.replace(ApiConfig(), **{k: v for k, v in given.items() if v is not None})
    if ray_address:
        from ..api.ray_serve import serve_on_ray
        from ..cluster import require_ray

        require_ray()
        serve_on_ray(
            settings,
            config,
            address=ray_address,
            host=host,
            port=port,
            ocr_replicas=ocr_replicas,
            llm_replicas=llm_replicas,
            load_llm=not no_llm,
            verbose=is_verbose(),
            echo=lambda m: click.echo(m, err=True),
        )
        return
    import logging

    from ..api import create_app
    from ..api.server import run_server

    app = create_app(settings, config, load_llm=not no_llm)
    click.echo(f"chatocr API on http://{host}:{port} (docs: /docs); loading models…", err=True)
    # chatocr's own log lines (the models loaded, in how long) beside uvicorn's
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s:     %(message)s")
    run_server(app, config, host=host, port=port, log_level=log_level)
