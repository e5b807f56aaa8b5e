"""Do the value rules leave right answers alone? Every label of a generator dataset is put through
`llm_stage.value_rules.apply_value_rules` with the OCR text of its own document, as if the model had
answered it exactly; a label the rules turn into a value that no longer scores as that label is a
place where a rule would break a right answer. Prints the count per field with examples and writes
a JSON report. No model runs; a 4,000-sample set takes about a minute.

    python -m bench.rule_audit [datasets/generated/train-v4.jsonl] [--out bench/reports/rule_audit.json]
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
from llm_stage.value_rules import apply_value_rules

DEFAULT = Path("datasets/generated/train-v4.jsonl")
_DOC = re.compile(r"<document>\n(.*)\n</document>", re.S)


def audit(path: Path, examples: int = 3) -> dict:
    changed: collections.Counter = collections.Counter()
    seen: collections.Counter = collections.Counter()
    shown: dict[str, list] = collections.defaultdict(list)
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in tqdm(lines, desc="audit", unit="sample", disable=not sys.stderr.isatty()):
        if not line.strip():
            continue
        for turn in json.loads(line).get("conversation", []):
            m = _DOC.search(turn.get("input", ""))
            try:
                gold = json.loads(turn.get("output", ""))
            except json.JSONDecodeError:
                continue
            if not m or not isinstance(gold, dict):
                continue
            labels = {k: v for k, v in gold.items() if v is None or isinstance(v, str)}
            after = apply_value_rules(dict(labels), m.group(1))
            for k, v in labels.items():
                seen[k] += 1
                if (
                    after[k] != v
                    and not score_value(k, after[k], v).tp
                    and not (v is None and after[k] is None)
                ):
                    changed[k] += 1
                    if len(shown[k]) < examples:
                        shown[k].append({"label": v, "after_rules": after[k]})
    total, bad = sum(seen.values()), sum(changed.values())
    return {
        "dataset": str(path),
        "labels": total,
        "changed": bad,
        "changed_share": round(bad / total, 4) if total else None,
        "by_field": {
            k: {"changed": c, "labels": seen[k], "examples": shown[k]} for k, c in changed.most_common()
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "dataset", nargs="?", type=Path, default=DEFAULT, help="XTuner-format JSONL from `make data`"
    )
    ap.add_argument("--out", type=Path, default=Path("bench/reports/rule_audit.json"))
    a = ap.parse_args(argv)
    if not a.dataset.is_file():
        ap.error(f"{a.dataset} not found; run `make data` first")
    r = audit(a.dataset)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{r['labels']} labels; the rules change {r['changed']} ({100 * (r['changed_share'] or 0):.2f}%)")
    for k, v in r["by_field"].items():
        print(f"  {k}: {v['changed']}/{v['labels']}  e.g. {v['examples'][:1]}")
    print(f"report: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
