"""Re-score saved answers under each repairs preset, without running the model: the `raw_output`
of every document of a `chatocr eval` result (or its .partial.jsonl) is parsed again, repaired with
`none`, `general`, `auto` and `all`, checked for evidence (absent means null: a phone number needs
its label or shape, as the pipeline does under every preset), grounded to the document's cached OCR,
and scored like the eval. `model` is the model's own answer: parsed and grounded, nothing else.

    python -m bench.rescore_repairs reports/eval/sroie_receipts-pipeline.json /work/shared/data/dev/sroie_receipts
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chatocr.evaluation.metrics import prf, score_value
from llm_stage.evidence import drop_unsupported
from llm_stage.grounding import ground_values
from llm_stage.instructions import without_instructions
from llm_stage.parsing import OutputInvalidError, parse_answer
from llm_stage.repairs import apply_repairs

PRESETS = ("model", "none", "general", "auto", "all")


def _records(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        return [r for r in rows if "raw_output" in r]
    return json.loads(path.read_text(encoding="utf-8"))["documents"]


def _f1(c: list[int]) -> float:
    """F1 in % of [tp, fp, fn]; 0 when nothing was scored (where `prf` reports a vacuous 1)."""
    return round(100 * prf(*c)[2], 1) if any(c) else 0.0


def rescore(result: Path, dataset: Path, skip: frozenset[str] = frozenset()) -> dict:
    """F1 of the saved answers under each preset, overall and per document type; and how many
    documents the run's own preset reproduces (a check that the rescoring is the pipeline's).
    Fields in `skip` are left out of the scores (labels known to carry slips)."""
    from chatocr import Pipeline, Settings
    from chatocr.evaluation.runner import OcrCache

    pipe = Pipeline.from_settings(Settings(), load_llm=False)
    cache = OcrCache()
    counts: dict[str, dict[str, list[int]]] = {p: {} for p in PRESETS}  # preset -> type -> [tp, fp, fn]
    saved_preset = "auto"
    if result.suffix == ".json":
        saved_preset = json.loads(result.read_text(encoding="utf-8"))["config"].get("repairs") or "auto"
    same_as_saved = 0
    docs = _records(result)
    for rec in docs:
        keys = list(rec["fields"])
        ocr, _ = cache.get(dataset / rec["image"], pipe)
        evidence = without_instructions(ocr)
        text = evidence.to_text()
        # the answer also holds any line-items field asked (scored apart, by records)
        asked = [*keys, *(rec.get("items") or {})]
        try:
            raw = parse_answer(rec["raw_output"], asked)
        except OutputInvalidError:
            raw = dict.fromkeys(asked)
        # and the amounts the pipeline decoded beside them for the repairs (llm_stage.extract)
        raw.update(rec.get("companions") or {})
        for p in PRESETS:
            values = dict(raw)
            if p != "model":
                values, _ = apply_repairs(values, str(text), p)
                values, _ = drop_unsupported(values, str(text))
            grounded = ground_values(evidence, text, values, strict=False)
            pred = {k: grounded[k].value if k in grounded else values.get(k) for k in keys}
            if p == saved_preset:
                same_as_saved += pred == {k: rec["fields"][k]["pred"] for k in keys}
            for t in ("overall", rec.get("doc_type") or "document"):
                c = counts[p].setdefault(t, [0, 0, 0])
                for k in (k for k in keys if k not in skip):
                    s = score_value(k, pred[k], rec["fields"][k]["gold"])
                    c[0], c[1], c[2] = c[0] + s.tp, c[1] + s.fp, c[2] + s.fn
    f1 = {p: _f1(counts[p].get("overall", [0, 0, 0])) for p in PRESETS}
    out = {"documents": len(docs), "f1": f1}
    types = sorted(t for t in counts["model"] if t != "overall")
    if len(types) > 1:
        out["f1_by_type"] = {t: {p: _f1(counts[p][t]) for p in PRESETS} for t in types}
    out[f"{saved_preset}_reproduces_saved_answers"] = f"{same_as_saved}/{len(docs)}"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("result", type=Path, help="an eval result JSON or its .partial.jsonl")
    ap.add_argument("dataset", type=Path, help="the labelled folder it was run on")
    ap.add_argument("--skip", default="", help="comma list of fields to leave out of the scores")
    a = ap.parse_args(argv)
    skip = frozenset(f.strip() for f in a.skip.split(",") if f.strip())
    print(json.dumps(rescore(a.result, a.dataset, skip), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
