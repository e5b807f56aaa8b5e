"""Do the repairs leave right answers alone? Every label of a set is put through
`llm_stage.repairs.apply_repairs` with the OCR text of its own document, as if the model had answered
it exactly; a change that leaves a value no longer scoring as its label is a place where a repair
would break a right answer. Counted per preset (auto, all), per document family and per rule, with
examples; a JSON report is written. No model runs.

Two kinds of set: a generator dataset in XTuner format (the document text is in the prompt), or a
labelled folder (img/ + labels.jsonl, such as the dev slice), read by the OCR stage (cached in
reports/cache/ocr, like `chatocr eval`).

    python -m bench.rule_audit datasets/generated/v3/test.jsonl /work/shared/data/dev/sroie_receipts \
        /work/shared/data/dev/vat_invoices [--out bench/reports/rule_audit.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

from tqdm import tqdm

from chatocr.evaluation.metrics import score_value
from llm_stage.repairs import REPAIRS, active_families, apply_repairs

DEFAULT = [Path("datasets/generated/v3/test.jsonl")]
PRESETS = ("auto", "all")
_DOC = re.compile(r"<document>\n(.*)\n</document>", re.S)
_FAMILY = {r.name: r.family for r in REPAIRS}


def generated_samples(path: Path):
    """(doc_type, labels, text) of every turn of an XTuner-format dataset."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        for turn in json.loads(line).get("conversation", []):
            m = _DOC.search(turn.get("input", ""))
            try:
                gold = json.loads(turn.get("output", ""))
            except json.JSONDecodeError:
                continue
            if m and isinstance(gold, dict):
                yield (
                    "generated",
                    {k: v for k, v in gold.items() if v is None or isinstance(v, str)},
                    m.group(1),
                )


def labelled_samples(folder: Path):
    """(doc_type, labels, OCR text) of every document of a labelled folder."""
    from chatocr import Pipeline, Settings
    from chatocr.evaluation.dataset import load_dataset
    from chatocr.evaluation.runner import OcrCache

    ds = load_dataset(folder)
    pipe = Pipeline.from_settings(Settings(), load_llm=False)
    cache = OcrCache()
    for doc in ds.docs:
        ocr, _ = cache.get(doc.path, pipe)
        labels = {k: v for k, v in doc.fields.items() if v is None or isinstance(v, str)}
        yield doc.doc_type, labels, str(ocr.to_text())


def audit(sources: list[Path], examples: int = 3) -> dict:
    report: dict = {}
    for src in sources:
        samples = labelled_samples(src) if src.is_dir() else generated_samples(src)
        seen = 0
        families_on: collections.Counter = collections.Counter()
        docs = 0
        changed = {p: collections.Counter() for p in PRESETS}
        broke = {p: collections.Counter() for p in PRESETS}
        shown: dict = {p: collections.defaultdict(list) for p in PRESETS}
        for _doc_type, labels, text in tqdm(
            samples, desc=src.name, unit="doc", disable=not sys.stderr.isatty()
        ):
            docs += 1
            seen += len(labels)
            families_on.update(active_families("auto", text))
            for preset in PRESETS:
                _, records = apply_repairs(dict(labels), text, preset)
                final: dict[str, str] = {}
                for r in records:
                    final[r.field] = r.rule
                for r in records:
                    changed[preset][r.rule] += 1
                # a value that ends no longer scoring as its label, charged to the last rule that wrote it
                after, _ = apply_repairs(dict(labels), text, preset)
                for k, rule in final.items():
                    v = labels[k]
                    if (
                        after[k] != v
                        and not score_value(k, after[k], v).tp
                        and not (v is None and after[k] is None)
                    ):
                        broke[preset][rule] += 1
                        if len(shown[preset][rule]) < examples:
                            shown[preset][rule].append({"field": k, "label": v, "after": after[k]})
        report[str(src)] = {
            "documents": docs,
            "labels": seen,
            "auto_families": dict(families_on),
            **{
                preset: {
                    fam: {
                        rule: {
                            "changed": changed[preset][rule],
                            "broke_right_value": broke[preset][rule],
                            "examples": shown[preset][rule],
                        }
                        for rule in sorted(set(changed[preset]) | set(broke[preset]))
                        if _FAMILY[rule] == fam
                    }
                    for fam in dict.fromkeys(_FAMILY.values())
                }
                for preset in PRESETS
            },
        }
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "sources", nargs="*", type=Path, default=DEFAULT, help="XTuner-format JSONL files or labelled folders"
    )
    ap.add_argument("--out", type=Path, default=Path("bench/reports/rule_audit.json"))
    a = ap.parse_args(argv)
    for s in a.sources:
        if not s.exists():
            ap.error(f"{s} not found")
    r = audit(a.sources)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
    for src, res in r.items():
        print(f"{src}: {res['documents']} documents, {res['labels']} labels; auto ran {res['auto_families']}")
        for preset in PRESETS:
            for fam, rules in res[preset].items():
                c = sum(v["changed"] for v in rules.values())
                b = sum(v["broke_right_value"] for v in rules.values())
                print(f"  {preset:4} {fam:8} changed {c:4} right values, broke {b:3}", end="")
                print(
                    "  "
                    + ", ".join(
                        f"{k} {v['broke_right_value']}" for k, v in rules.items() if v["broke_right_value"]
                    )
                )
    print(f"report: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
