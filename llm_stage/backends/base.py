"""The backend interface (messages in, text out) and the registry of backends by name."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError


class BackendError(RuntimeError):
    """A backend cannot start or cannot be reached; the message says how to fix it."""


class UnknownBackendError(ValueError):
    pass


class GenerationResult(BaseModel):
    text: str
    tokens: int = 0  # answer tokens (forced + generated)
    seconds: float = 0.0
    prompt_tokens: int = 0
    generated_tokens: int = 0  # tokens the model chose (forced tokens excluded)
    constrained: bool = False
    # per key, the log-probabilities of the tokens the model chose for its value (constrained only)
    value_logprobs: dict[str, list[float]] = {}
    # the values of a second decoding of the same query (`generate_each` with `joint`), for agreement
    alternative: dict[str, str | None] | None = None
    # line-item fields whose list stopped at the decoder's cap: field -> records read
    items_cut: dict[str, int] = {}
    # line-item fields: per record, per cell, the log-probabilities of the cell's tokens
    item_logprobs: dict[str, list[dict[str, list[float]]]] = {}


class Backend(ABC):
    """One model behind one transport. Subclasses set `name`, the capability flag `supports_copy`,
    a nested `Options` model (unknown options are an error) and implement `generate`."""

    name: ClassVar[str] = "base"
    # The backend can restrict values to substrings of the document while decoding
    # (`generate(..., copy_from=text, rules=...)`); others are grounded after the fact.
    supports_copy: ClassVar[bool] = False
    # `generate_each` computes the document once and decodes each field from it (a KV cache shared
    # by the fields); without it, `generate_each` costs one full request per field.
    shares_prefix: ClassVar[bool] = False

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

    def __init__(self, **options):
        try:
            self.options = self.Options(**options)
        except ValidationError as e:
            bad = "; ".join(
                f"{'.'.join(map(str, err['loc'])) or 'options'}: {err['msg']}" for err in e.errors()
            )
            raise BackendError(f"invalid options for backend {self.name!r}: {bad}") from None

    @property
    def prompt_layout(self) -> str:
        """How this backend's model is shown the document (`llm_stage.prompt.layout_for`): the
        layout its adapter was trained on, or $CHATOCR_PROMPT_LAYOUT, or the default."""
        from ..prompt import layout_for

        return layout_for(getattr(self, "adapter_dir", None))

    @property
    def model_name(self) -> str:
        return str(getattr(self.options, "model", None) or self.name)

    @abstractmethod
    def generate(
        self,
        messages: list[dict[str, str]],
        keys: list[str] | None = None,
        max_new_tokens: int = 256,
        copy_from: str | None = None,
        rules: dict | None = None,
    ) -> GenerationResult:
        """Answer the chat `messages`. With `keys`, a backend that supports it returns a JSON object
        with exactly those keys (constrained decoding or schema-guided output). A backend with
        `supports_copy` also honours `copy_from` (values only as substrings of that text) and
        `rules` (key -> `value_rules.ValueRule`); others ignore both.

        Thread-safe: callers (the API's worker threads, the demo's sessions, `chatocr serve-llm`)
        share one backend without a lock of their own. A backend that holds a model in this
        process serialises its own calls; a remote one lets them run concurrently."""

    def generate_each(
        self,
        messages_by_key: dict[str, list[dict[str, str]]],
        max_new_tokens: int = 256,
        copy_from: str | None = None,
        rules: dict | None = None,
        joint: list[dict[str, str]] | None = None,
        joint_keys: list[str] | None = None,
    ) -> GenerationResult:
        """Answer each key from its own messages (the same document, that one field asked), so no
        value depends on the other keys; the text is one JSON object of all the keys. A tuple of
        keys is asked in one prompt (fields that are read together). This default
        makes one `generate` call per key; a backend with `shares_prefix` reuses the document, and
        there also decodes `joint` (the keys `joint_keys`, default all, asked at once) as
        `alternative`, a second opinion for confidence."""
        import json

        from ..parsing import OutputInvalidError, parse_answer

        values: dict = {}
        logprobs: dict[str, list[float]] = {}
        total = GenerationResult(text="", constrained=True, items_cut={}, item_logprobs={})
        for k, msgs in messages_by_key.items():
            asked = list(k) if isinstance(k, tuple) else [k]  # a tuple: keys asked in one prompt
            r = self.generate(
                msgs,
                keys=asked,
                max_new_tokens=max_new_tokens * len(asked),
                copy_from=copy_from,
                rules={q: rules[q] for q in asked if q in rules} if rules else None,
            )
            try:
                values.update(parse_answer(r.text, asked))
            except OutputInvalidError:
                values.update(dict.fromkeys(asked))
            logprobs.update({q: r.value_logprobs[q] for q in asked if q in r.value_logprobs})
            total.items_cut.update(r.items_cut)
            total.item_logprobs.update(r.item_logprobs)
            total.tokens += r.tokens
            total.seconds += r.seconds
            total.prompt_tokens += r.prompt_tokens
            total.generated_tokens += r.generated_tokens
            total.constrained = total.constrained and r.constrained
        total.text = json.dumps(values, ensure_ascii=False)
        total.value_logprobs = logprobs
        return total


_REGISTRY: dict[str, Callable[..., Backend]] = {}


def register_backend(name: str, factory: Callable[..., Backend]) -> None:
    """Register a backend factory (a Backend subclass or any callable returning one) under `name`."""
    _REGISTRY[name] = factory


def available_backends() -> list[str]:
    return list(_REGISTRY)


def get_backend(name_or_backend: str | Backend = "transformers", **options) -> Backend:
    """A backend by registry name (options go to its constructor), or a ready instance as is."""
    if isinstance(name_or_backend, Backend):
        return name_or_backend
    try:
        factory = _REGISTRY[name_or_backend]
    except (KeyError, TypeError):
        raise UnknownBackendError(
            f"unknown LLM backend {name_or_backend!r}; choose one of {', '.join(available_backends())}"
        ) from None
    return factory(**options)
