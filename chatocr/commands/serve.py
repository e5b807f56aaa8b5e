from __future__ import annotations

import click

from .common import engine_option


@click.command()
@click.option("-H", "--host", default="127.0.0.1", envvar="CHATOCR_API_HOST", show_default=True,
              help="Address to listen on (0.0.0.0 for all interfaces).")
@click.option("-P", "--port", type=int, default=8000, envvar="CHATOCR_API_PORT", show_default=True)
@engine_option
@click.option("-x", "--extra-engines", default="", envvar="CHATOCR_API_EXTRA_ENGINES",
              help="More OCR engines to load at start-up, comma-separated (requests pick one by name).")
@click.option("-b", "--backend", default=None, envvar="CHATOCR_BACKEND",
              help="LLM backend: transformers (embedded, CPU), openai (HTTP), lmdeploy.")
@click.option("-m", "--model", default=None, envvar="CHATOCR_MODEL", help="Model name or path for the backend.")
@click.option("--no-llm", is_flag=True, help="Serve OCR only (/v1/extract answers 503).")
@click.option("-w", "--workers", type=int, default=2, envvar="CHATOCR_API_WORKERS", show_default=True,
              help="Pipeline worker threads (OCR of one request overlaps the LLM stage of another).")
@click.option("-q", "--queue", "max_queue", type=int, default=8, envvar="CHATOCR_API_QUEUE", show_default=True,
              help="Requests that may wait for a worker; beyond that the answer is 503 + Retry-After.")
@click.option("-T", "--timeout", "timeout_s", type=float, default=120.0, envvar="CHATOCR_API_TIMEOUT",
              show_default=True, help="Per-request processing limit in seconds (504 past it).")
@click.option("--max-upload-mb", type=float, default=20.0, envvar="CHATOCR_API_MAX_MB", show_default=True)
@click.option("--max-fields", type=int, default=32, envvar="CHATOCR_API_MAX_FIELDS", show_default=True)
@click.option("--allow-url/--no-allow-url", default=False, envvar="CHATOCR_API_ALLOW_URL", show_default=True,
              help="Let requests name a document by URL (public addresses only).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host, port, engine, extra_engines, backend, model, no_llm, workers, max_queue, timeout_s,
          max_upload_mb, max_fields, allow_url, log_level):
    """Run the HTTP API (FastAPI + uvicorn). Docs at /docs; set CHATOCR_API_KEY to require a bearer token."""
    import uvicorn

    from ..api import ApiConfig, create_app
    from ..settings import Settings

    if workers < 1 or max_queue < 0:
        raise click.BadParameter("--workers must be >= 1 and --queue >= 0")
    overrides = {"ocr_engine": engine}
    if backend:
        overrides["backend"] = backend
    if model:
        overrides["model"] = model
    settings = Settings(**overrides)
    config = ApiConfig(
        workers=workers, max_queue=max_queue, timeout_s=timeout_s,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024), max_fields=max_fields,
        extra_engines=[e.strip() for e in extra_engines.split(",") if e.strip()], allow_url=allow_url,
    )
    app = create_app(settings, config, load_llm=not no_llm)
    click.echo(f"chatocr API on http://{host}:{port} (docs: /docs); loading models…", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)
