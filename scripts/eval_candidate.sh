#!/usr/bin/env bash
# Every figure a candidate adapter is shipped on, in one run (resumable: each eval skips the
# documents it already scored):
#   - SROIE dev and VAT dev with the default `auto` repairs, re-scored under none/general/auto/all
#     (the model's own answer is `none`), VAT also on its 8 fields without the slip-carrying two;
#   - the regex baseline on the same sets;
#   - line items on the dev receipts (the hand labels in bench/data/dev_receipt_items.jsonl);
#   - the generated test splits of the sets it was trained on (F1 per document type, items).
#
#   bash scripts/eval_candidate.sh MODEL OUT [TEST_SET ...]
#   bash scripts/eval_candidate.sh llm_stage/adapters/chatocr-smollm2-lora reports/release \
#       datasets/generated/v7-base/test datasets/generated/v7-world/test datasets/generated/v7-items/test
#
# MODEL: an adapter dir, or "default" for the shipped one. Writes OUT/summary.json.
# TEST_LIMIT=N scores the first N documents of each TEST_SET (in index order).
set -euo pipefail
MODEL=${1:?usage: eval_candidate.sh MODEL OUT [TEST_SET ...]}
OUT=${2:?usage: eval_candidate.sh MODEL OUT [TEST_SET ...]}
shift 2
DEV=${DEV:-../shared/data/dev}
BIN=${BIN:-.venv/bin}
SKIP_VAT="购买方地址电话,购买方开户行及账号"
mkdir -p "$OUT"
margs=()
[ "$MODEL" = default ] || margs=(-m "$MODEL")

run() {  # run NAME SET [eval args...]: one eval, its re-score beside it
  local name=$1 set=$2
  shift 2
  "$BIN/chatocr" eval "$set" "${margs[@]}" -o "$OUT/$name.json" --no-progress "$@" | tail -n 12
  "$BIN/python" -m bench.rescore_repairs "$OUT/$name.json" "$set" > "$OUT/$name.rescore.json"
}

run sroie "$DEV/sroie_receipts"
"$BIN/chatocr" eval "$DEV/sroie_receipts" --method regex -o "$OUT/sroie-regex.json" --no-progress | tail -n 3
run vat "$DEV/vat_invoices"
"$BIN/python" -m bench.rescore_repairs "$OUT/vat.json" "$DEV/vat_invoices" --skip "$SKIP_VAT" > "$OUT/vat8.rescore.json"
"$BIN/chatocr" eval "$DEV/vat_invoices" --method regex -o "$OUT/vat-regex.json" --no-progress | tail -n 3
"$BIN/chatocr" eval "$DEV/sroie_receipts" "${margs[@]}" --items-labels bench/data/dev_receipt_items.jsonl \
  -o "$OUT/sroie-items.json" --no-progress | tail -n 6
tlim=()
[ -z "${TEST_LIMIT:-}" ] || tlim=(-n "$TEST_LIMIT")  # the first TEST_LIMIT documents of each test set
for set in "$@"; do
  run "test-$(basename "$(dirname "$set")")" "$set" "${tlim[@]}"
done

"$BIN/python" - "$OUT" "$SKIP_VAT" <<'EOF'
import json, sys
from pathlib import Path

from chatocr.evaluation.metrics import prf

out, skip = Path(sys.argv[1]), set(sys.argv[2].split(","))


def f1_of(fields: dict, keep=lambda k: True) -> float:
    counts = [sum(v[c] for k, v in fields.items() if keep(k)) for c in ("tp", "fp", "fn")]
    if not any(counts):  # nothing scored: 0, as bench.rescore_repairs reports it
        return 0.0
    return round(100 * prf(*counts)[2], 1)


summary = {}
for p in sorted(out.glob("*.rescore.json")):
    summary[p.name.removesuffix(".rescore.json")] = json.loads(p.read_text())
for name in ("sroie-regex", "vat-regex"):
    r = json.loads((out / f"{name}.json").read_text())["summary"]
    summary[name] = {"f1": f1_of(r["fields"])}
    if name == "vat-regex":
        summary["vat8-regex"] = {"f1": f1_of(r["fields"], lambda k: k not in skip)}
items = json.loads((out / "sroie-items.json").read_text())["summary"].get("items", {})
summary["sroie-items"] = {k: {m: v[m] for m in ("f1", "count_accuracy", "check_rate")} for k, v in items.items()}
for p in sorted(out.glob("test-*.json")):
    if p.name.endswith(".rescore.json"):
        continue
    s = json.loads(p.read_text())["summary"]
    summary[p.stem]["items"] = {k: {m: v[m] for m in ("f1", "count_accuracy")} for k, v in (s.get("items") or {}).items()}
(out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
print(json.dumps(summary, indent=1, ensure_ascii=False))
EOF
