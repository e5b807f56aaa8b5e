"""What asking for line items costs: LLM seconds per dev receipt for its fields alone and for the
same fields with "line items", alternating the two on each document so that they share the
machine's load. Prints the totals, the ratio (items / without) and the records read; writes a
JSON report.

    python -m bench.items_speed [--data /work/shared/data/dev] [--limit N] [--threads T]
        [--model ADAPTER] [--out reports/bench_items_speed.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.consistency import DEV, dev_documents
from llm_stage.items import ITEMS_FIELD


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEV))
    ap.add_argument("--limit", type=int, default=5, help="receipts")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--model", default=None, help="model/adapter dir (default: the shipped model)")
    ap.add_argument("--out", default="reports/bench_items_speed.json")
    a = ap.parse_args(argv)

    from chatocr import Pipeline, Settings
    from chatocr.evaluation.runner import OcrCache
    from llm_stage import FieldQuery
    from llm_stage.extract import extract

    pipeline = Pipeline.from_settings(Settings(llm_threads=a.threads, model=a.model), load_llm=True)
    backend = pipeline.backend
    cache = OcrCache()
    rows = []
    for _ds, img, labels in dev_documents(Path(a.data), a.limit, sets=["sroie_receipts"]):
        ocr, _ = cache.get(img, pipeline)
        row = {"image": img.name}
        for mode, fields in (("without", list(labels)), ("items", [*labels, ITEMS_FIELD])):
            t0 = time.perf_counter()
            ex = extract(ocr, FieldQuery(fields=fields), backend)
            row[mode] = round(time.perf_counter() - t0, 3)
            if mode == "items":
                fv = ex.fields[ITEMS_FIELD]
                row["records"] = len(fv.value) if isinstance(fv.value, list) else None
                row["cut"] = "item_list_cut_short" in fv.review_reasons
        rows.append(row)
        print(json.dumps(row), flush=True)
    without = sum(r["without"] for r in rows)
    items = sum(r["items"] for r in rows)
    out = {
        "documents": len(rows),
        "without_s": round(without, 2),
        "items_s": round(items, 2),
        "items/without": round(items / max(1e-9, without), 3),
        "records": sum(r["records"] or 0 for r in rows),
        "model": backend.model_name,
        "rows": rows,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
