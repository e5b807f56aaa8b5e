from __future__ import annotations

import click

from .common import user_errors


@click.command("serve-llm")
@click.option("-H", "--host", default="127.0.0.1", envvar="CHATOCR_LLM_HOST", show_default=True)
@click.option("-P", "--port", type=int, default=8008, envvar="CHATOCR_LLM_PORT", show_default=True)
@click.option(
    "-m",
    "--model",
    default=None,
    envvar="CHATOCR_MODEL",
    help="Local HF model dir, LoRA adapter dir, or 'embedded' (default: embedded + shipped adapter).",
)
@click.option(
    "-t",
    "--threads",
    type=int,
    default=0,
    envvar="CHATOCR_LLM_THREADS",
    help="CPU threads (0 = torch default).",
)
@user_errors
def serve_llm(host, port, model, threads):
    """Serve the in-process transformers model over an OpenAI-compatible API (/v1/chat/completions)."""
    import uvicorn

    from llm_stage import BackendError, get_backend
    from llm_stage.backends.openai_server import create_app

    opts = {"threads": threads} if threads else {}
    if model:
        opts["model"] = model
    try:
        backend = get_backend("transformers", **opts)
    except BackendError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"serving {backend.model_name} on http://{host}:{port}/v1", err=True)
    uvicorn.run(create_app(backend), host=host, port=port, log_level="warning")
