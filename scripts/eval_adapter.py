"""Field accuracy of the embedded model (optionally + a LoRA adapter) on XTuner-format val samples.

    .venv/bin/python -m scripts.eval_adapter --val datasets/generated/cpu-val/val.jsonl --limit 24 \
        [--adapter llm_stage/adapters/chatocr-smollm2-lora | --adapter none] [--report reports/x.json]

Each sample's system/input is what llm_stage.prompt.build_messages wrote, so the model is asked
exactly as it is served; the real `transformers` backend answers (constrained to the requested
keys, as in serving) and every value is compared with the sample's answer (exact match after
trimming whitespace; null must stay null). Prints one line per checkpoint and writes a JSON report.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click


def load_samples(paths: list[Path], limit: int) -> list[dict]:
    rows = []
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    # Deterministic spread over document types: round-robin by the answer's key set.
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(",".join(sorted(json.loads(r["conversation"][0]["output"]))), []).append(r)
    picked, queues = [], [list(v) for _, v in sorted(by_kind.items())]
    while len(picked) < limit and any(queues):
        for q in queues:
            if q and len(picked) < limit:
                picked.append(q.pop(0))
    return picked


def _norm(v):
    if v is None:
        return None
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return " ".join(str(v).split())


def evaluate(samples: list[dict], adapter: str | None) -> dict:
    from llm_stage.backends import get_backend

    backend = get_backend("transformers", model="embedded", adapter=adapter)
    right = total = docs_right = 0
    seconds = 0.0
    misses = []
    for s in samples:
        turn = s["conversation"][0]
        gold = json.loads(turn["output"])
        messages = [{"role": "system", "content": turn["system"]}, {"role": "user", "content": turn["input"]}]
        t0 = time.perf_counter()
        out = backend.generate(messages, keys=list(gold))
        seconds += time.perf_counter() - t0
        try:
            pred = json.loads(out.text)
        except json.JSONDecodeError:
            pred = {}
        ok = [_norm(pred.get(k)) == _norm(v) for k, v in gold.items()]
        right += sum(ok)
        total += len(ok)
        docs_right += all(ok)
        if len(misses) < 5 and not all(ok):
            misses.append({"gold": gold, "pred": pred})
    return {
        "adapter": adapter,
        "samples": len(samples),
        "fields": total,
        "field_accuracy": round(right / max(total, 1), 4),
        "sample_exact": round(docs_right / max(len(samples), 1), 4),
        "seconds_per_sample": round(seconds / max(len(samples), 1), 2),
        "examples_wrong": misses,
    }


@click.command()
@click.option(
    "--val", "val", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--limit", type=int, default=24, show_default=True)
@click.option(
    "--adapter", "adapters", multiple=True, default=["none"], help="adapter dir, or 'none' for the base model"
)
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None)
def main(val, limit, adapters, report):
    samples = load_samples(list(val), limit)
    results = []
    for a in adapters:
        r = evaluate(samples, None if a in ("none", "") else a)
        results.append(r)
        click.echo(
            f"{a}: field accuracy {r['field_accuracy']:.1%} ({r['fields']} fields), sample exact "
            f"{r['sample_exact']:.1%} ({r['samples']}), {r['seconds_per_sample']} s/sample"
        )
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
