"""LLM backends: `transformers` (embedded CPU model, constrained decoding), `lmdeploy` (TurboMind on a
GPU, in-process) and `openai` (any OpenAI-compatible server). Modules load on first use."""

from __future__ import annotations

from .base import (
    Backend,
    BackendError,
    GenerationResult,
    UnknownBackendError,
    available_backends,
    get_backend,
    register_backend,
)


def _transformers(**kw):
    from .transformers_backend import TransformersBackend

    return TransformersBackend(**kw)


def _lmdeploy(**kw):
    from .lmdeploy_backend import LmdeployBackend

    return LmdeployBackend(**kw)


def _openai(**kw):
    from .openai_backend import OpenAIBackend

    return OpenAIBackend(**kw)


register_backend("transformers", _transformers)
register_backend("lmdeploy", _lmdeploy)
register_backend("openai", _openai)

__all__ = [
    "Backend",
    "BackendError",
    "GenerationResult",
    "UnknownBackendError",
    "available_backends",
    "get_backend",
    "register_backend",
]
