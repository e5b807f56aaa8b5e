"""`chatocr serve-llm`: the in-process model behind an OpenAI-compatible API."""

from __future__ import annotations

import click

from .common import llm_threads_option, model_option, user_errors, verbose_option


@click.command("serve-llm")
@click.option(
    "-H",
    "--host",
    default="127.0.0.1",
    envvar="CHATOCR_LLM_HOST",
    show_default=True,
    show_envvar=True,
    help="Address to listen on.",
)
@click.option(
    "-P", "--port", type=int, default=8008, envvar="CHATOCR_LLM_PORT", show_default=True, show_envvar=True
)
@model_option
@llm_threads_option
@verbose_option
@user_errors
def serve_llm(host, port, model, llm_threads):
    """Serve the in-process transformers model over an OpenAI-compatible API (/v1/chat/completions)."""
    import uvicorn

    from llm_stage import get_backend
    from llm_stage.backends.openai_server import create_app

    from ..pipeline import backend_options
    from .common import command_settings

    settings = command_settings(backend="transformers")
    backend = get_backend("transformers", **backend_options(settings))
    click.echo(f"serving {backend.model_name} on http://{host}:{port}/v1", err=True)
    uvicorn.run(create_app(backend), host=host, port=port, log_level="warning")
