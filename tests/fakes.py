"""A scripted LLM backend and a scripted OCR engine, for tests of the interface around the models
(CLI, API, batch, errors): no model loads, so those tests take seconds. Both count their calls, so
a test can check that a mistake was reported before any work."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from llm_stage import Backend, GenerationResult, register_backend
from ocr_stage import OcrEngine, OcrPage, OcrResult, TextLine
from ocr_stage.engines import register_engine


class ScriptedBackend(Backend):
    """Answers each call with the next item of `script` (the last one repeats): a dict of values
    (only the requested keys are answered; missing ones are null), a raw string, an exception to
    raise, or a callable(keys, messages) returning one of those. Every value is decoded at token
    probability 0.8 unless `probs` gives its key another one (a low one makes a value need review)."""

    name = "scripted"
    supports_copy = True

    def __init__(self, script=None, probs: dict[str, float] | None = None, **options):
        super().__init__(**options)
        self.probs = dict(probs or {})
        self.script = list(script) if isinstance(script, (list, tuple)) else [script or {}]
        self.calls: list[dict] = []

    def generate(self, messages, keys=None, max_new_tokens=256, copy_from=None, rules=None):
        self.calls.append({"messages": messages, "keys": keys, "copy_from": copy_from})
        item = self.script[min(len(self.calls), len(self.script)) - 1]
        if callable(item) and not isinstance(item, type):
            item = item(keys, messages)
        if isinstance(item, BaseException):
            raise item
        text = item if isinstance(item, str) else json.dumps({k: item.get(k) for k in keys or []})
        # each value decoded at probability 0.8 per token (or probs[key]): without a calibration,
        # that is its confidence
        lps = {k: [math.log(self.probs.get(k, 0.8))] * 2 for k in keys or []}
        return GenerationResult(text=text, tokens=1, value_logprobs=lps)


class ScriptedEngine(OcrEngine):
    """Every page reads as `lines_for(n)` (default: 'PAGE <n+1>' and 'TOTAL 9.00'), where n counts
    the pages this engine has read so far, from 0."""

    name = "scripted-ocr"

    def __init__(self, lines_for: Callable[[int], list[str]] | None = None, **_):
        self.lines_for = lines_for or (lambda i: [f"PAGE {i + 1}", "TOTAL 9.00"])
        self.pages = 0

    def recognize_page(self, image):
        i, self.pages = self.pages, self.pages + 1
        return [
            TextLine(
                text=t,
                box=[(10, 10 + 30 * k), (200, 10 + 30 * k), (200, 30 + 30 * k), (10, 30 + 30 * k)],
                score=0.99,
            )
            for k, t in enumerate(self.lines_for(i))
        ]


class Registry:
    """Registers a scripted backend and engine under names the CLI can be given (-b/-e), and
    counts how often the CLI built each (building the backend stands for loading a model)."""

    def __init__(self, script=None, backend_name="scripted", engine_name="scripted-ocr"):
        self.backend = ScriptedBackend(script)
        self.backend_builds = 0
        self.engine_builds = 0
        self.backend_name, self.engine_name = backend_name, engine_name

        def make_backend(**opts):
            self.backend_builds += 1
            self.backend_opts = opts
            return self.backend

        def make_engine(**opts):
            self.engine_builds += 1
            return ScriptedEngine()

        register_backend(backend_name, make_backend)
        register_engine(engine_name, make_engine)


def scripted_stage(settings, stage: str, script=None, limits=None):
    """A pipeline stage factory for distributed runs (chatocr.batch.ray_runner, chatocr.api.ray_serve): the
    scripted engine for `ocr`, the scripted backend for `llm`. Ray workers import it from this module
    (the tests put tests/ on their PYTHONPATH)."""
    from chatocr.pipeline import Pipeline

    if stage == "ocr":
        return Pipeline(ScriptedEngine(), None, limits)
    return Pipeline(None, ScriptedBackend(script or [{"total": "9.00"}]), limits)


def slow_when_asked(keys, messages):
    """A script item: answers TOTAL 9.00, after 4 s when the field `slow` is asked (to fill a queue)."""
    import time

    if "slow" in (keys or []):
        time.sleep(4)
    return {"total": "9.00", "slow": None}


def rows_page(rows: list[str], width: int = 800) -> OcrResult:
    """`rows` as one OCR page, a box a row from top to bottom (as a receipt's OCR reads them)."""
    lines = [
        TextLine(
            text=t,
            box=[
                (10, 10 + 40 * i),
                (width - 100, 10 + 40 * i),
                (width - 100, 40 + 40 * i),
                (10, 40 + 40 * i),
            ],
            score=0.99,
        )
        for i, t in enumerate(rows)
    ]
    return OcrResult(
        pages=[OcrPage(page=1, width=width, height=40 * len(rows) + 20, lines=lines)], engine="test"
    )
