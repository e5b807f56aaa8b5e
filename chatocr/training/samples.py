"""Training samples from labelled documents: each document asked several field lists (its labels as
answers, written by `llm_stage.samples`), mixed with a share of synthetic samples."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from ..evaluation.dataset import LabelledDoc

REPO_ROOT = Path(__file__).resolve().parents[2]


def document_queries(
    doc: LabelledDoc, other_names: list[str], rng: random.Random
) -> list[tuple[list[str], dict]]:
    """The field lists one document is asked (with its labels as answers): every labelled field in
    order, two shuffled subsets, and one list holding a field the document lacks (null), named as
    another document of the folder names it."""
    names = list(doc.fields)
    queries = [(names, dict(doc.fields))]
    for _ in range(2):
        if len(names) < 2:
            break
        sub = rng.sample(names, rng.randint(1, len(names)))
        queries.append((sub, {k: doc.fields[k] for k in sub}))
    absent = [n for n in other_names if n not in doc.fields]
    if absent:
        extra = rng.choice(absent)
        sub = rng.sample(names, rng.randint(1, len(names)))
        sub.insert(rng.randint(0, len(sub)), extra)
        queries.append((sub, {**{k: doc.fields[k] for k in sub if k != extra}, extra: None}))
    return queries


def build_samples(docs: list[LabelledDoc], ocrs: list, seed: int) -> tuple[list[dict], Counter]:
    """XTuner samples of the documents from each OCR result, targets snapped to what the OCR read
    (serving copies values out of the OCR text); and how many of each kind."""
    from llm_stage.samples import labelled_sample
    from llm_stage.types import FieldQuery

    all_names = list(dict.fromkeys(k for d in docs for k in d.fields))
    rng = random.Random(f"samples-{seed}")
    samples, kinds = [], Counter()
    for doc, ocr in zip(docs, ocrs, strict=True):
        for names, answer in document_queries(doc, all_names, rng):
            samples.append(labelled_sample(ocr, FieldQuery(fields=names), answer))
            absent = any(v is None and k not in doc.fields for k, v in answer.items())
            kinds["with absent field" if absent else "labelled fields"] += 1
    return samples, kinds


def default_synthetic() -> Path | None:
    """The synthetic samples of a source checkout (the generated v3 train split, else the committed
    sample); None in an installed package, which ships no dataset (pass --synthetic)."""
    for p in (REPO_ROOT / "datasets/generated/v3/train.jsonl", REPO_ROOT / "datasets/data.json"):
        if p.is_file():
            return p
    return None


def load_synthetic(path: Path) -> tuple[list[dict], int]:
    """(samples written with today's system prompt, how many others were skipped): a stale file
    from an older prompt would teach the model another prompt than the one served."""
    from llm_stage.prompt import SYSTEM_PROMPT

    text = path.read_text(encoding="utf-8")
    rows = (
        json.loads(text)
        if text.lstrip().startswith("[")
        else [json.loads(x) for x in text.splitlines() if x.strip()]
    )
    keep = [r for r in rows if r.get("conversation") and r["conversation"][0].get("system") == SYSTEM_PROMPT]
    return keep, len(rows) - len(keep)


def mix_synthetic(user: list[dict], synthetic: list[dict], share: float, seed: int) -> list[dict]:
    """`share` of the mixed samples drawn from `synthetic` (deterministic by seed)."""
    if share <= 0 or not synthetic:
        return []
    k = min(len(synthetic), round(len(user) * share / (1 - share)))
    return random.Random(f"synthetic-{seed}").sample(synthetic, k)
