"""Re-score saved answers under each repairs preset, without running the model: the `raw_output`
of every document of a `chatocr eval` result (or its .partial.jsonl) is parsed again, repaired with
`none`, `general`, `auto` and `all`, grounded to the document's cached OCR, and scored like the eval.

    python -m bench.rescore_repairs reports/eval/sroie_receipts-pipeline.json /work/shared/data/dev/sroie_receipts
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chatocr.evaluation.metrics import score_value
from llm_stage.grounding import ground_values
from llm_stage.instructions import without_instructions
from llm_stage.parsing import OutputInvalidError, parse_answer
from llm_stage.repairs import apply_repairs

PRESETS = ("none", "general", "auto", "all")


def _records(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        return [r for r in rows if "raw_output" in r]
    return json.loads(path.read_text(encoding="utf-8"))["documents"]


def rescore(result: Path, dataset: Path) -> dict:
    from chatocr import Pipeline, Settings
    from chatocr.evaluation.runner import OcrCache

    pipe = Pipeline.from_settings(Settings(), load_llm=False)
    cache = OcrCache()
    tp = {p: 0 for p in PRESETS}
    fp = {p: 0 for p in PRESETS}
    fn = {p: 0 for p in PRESETS}
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
        for p in PRESETS:
            values, _ = apply_repairs(dict(raw), str(text), p)
            grounded = ground_values(evidence, text, values, strict=False)
            pred = {k: grounded[k].value if k in grounded else values.get(k) for k in keys}
            if p == "all":
                same_as_saved += pred == {k: rec["fields"][k]["pred"] for k in keys}
            for k in keys:
                s = score_value(k, pred[k], rec["fields"][k]["gold"])
                tp[p], fp[p], fn[p] = tp[p] + s.tp, fp[p] + s.fp, fn[p] + s.fn
    f1 = {p: round(100 * 2 * tp[p] / max(1, 2 * tp[p] + fp[p] + fn[p]), 1) for p in PRESETS}
    return {"documents": len(docs), "f1": f1, "all_reproduces_saved_answers": f"{same_as_saved}/{len(docs)}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("result", type=Path, help="an eval result JSON or its .partial.jsonl")
    ap.add_argument("dataset", type=Path, help="the labelled folder it was run on")
    a = ap.parse_args(argv)
    print(json.dumps(rescore(a.result, a.dataset), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
