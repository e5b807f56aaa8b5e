"""LLM-stage speed: seconds per document (OCR and LLM apart) on the shipped sample and the SROIE dev
receipts, and what constrained decoding saves against free generation (tokens, seconds, valid JSON).

    .venv/bin/python -m bench.llm_constrained [--receipts 21] [--compare 4] [--threads 1]

Prints a table and writes reports/bench_llm_constrained.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
SAMPLE_FIELDS = ["发票号码", "开票日期", "购买方名称", "价税合计"]
RECEIPT_FIELDS = ["company", "date", "address", "total"]


def _docs(n_receipts: int) -> list[tuple[str, Path, list[str]]]:
    docs = [("sample", REPO / "samples" / "vat_invoice_sample.png", SAMPLE_FIELDS)]
    labels = DEV / "sroie_receipts" / "labels.jsonl"
    if labels.is_file():
        recs = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines() if x.strip()]
        for rec in recs[:n_receipts]:
            docs.append((f"receipt {Path(rec['image']).stem}", labels.parent / rec["image"], RECEIPT_FIELDS))
    else:
        print(f"note: dev receipts not found at {DEV}", file=sys.stderr)
    return docs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--receipts", type=int, default=21, help="dev receipts to time (max 21)")
    ap.add_argument("--compare", type=int, default=4, help="documents also run with free generation")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads for the LLM")
    ap.add_argument("--out", default=str(REPO / "reports" / "bench_llm_constrained.json"))
    a = ap.parse_args(argv)

    from llm_stage import FieldQuery, build_messages, get_backend, parse_answer
    from llm_stage.extract import max_tokens_for
    from ocr_stage import get_engine, run_ocr

    t0 = time.perf_counter()
    backend = get_backend("transformers", threads=a.threads)
    load_s = time.perf_counter() - t0
    engine = get_engine("rapid")
    from chatocr.pipeline import ocr_seconds

    rows = []
    for i, (name, path, fields) in enumerate(_docs(a.receipts)):
        ocr = run_ocr(path, engine)
        query = FieldQuery(fields=fields)
        msgs = build_messages(ocr.to_text(), query)
        row = {"doc": name, "ocr_s": ocr_seconds(ocr)}
        t = time.perf_counter()
        c = backend.generate(msgs, keys=query.keys, max_new_tokens=max_tokens_for(query.keys))
        row.update(
            llm_s=time.perf_counter() - t,
            prompt_tokens=c.prompt_tokens,
            tokens=c.tokens,
            generated=c.generated_tokens,
        )
        if i < a.compare:
            t = time.perf_counter()
            f = backend.generate(msgs, keys=None, max_new_tokens=max_tokens_for(query.keys))
            row.update(free_s=time.perf_counter() - t, free_tokens=f.tokens)
            try:
                parse_answer(f.text, query.keys)
                row["free_valid"] = True
            except ValueError:
                row["free_valid"] = False
        rows.append(row)
        _print_row(row, header=(i == 0))

    cmp_rows = [r for r in rows if "free_s" in r]
    summary = {
        "docs": len(rows),
        "model_load_s": load_s,
        "ocr_s_mean": statistics.mean(r["ocr_s"] for r in rows),
        "llm_s_mean": statistics.mean(r["llm_s"] for r in rows),
        "sample": {k: rows[0][k] for k in ("ocr_s", "llm_s")},
    }
    receipts = rows[1:]
    if receipts:
        summary["receipts"] = {
            "n": len(receipts),
            "ocr_s_mean": statistics.mean(r["ocr_s"] for r in receipts),
            "llm_s_mean": statistics.mean(r["llm_s"] for r in receipts),
        }
    if cmp_rows:
        summary["compare"] = {
            "n": len(cmp_rows),
            "constrained_s_mean": statistics.mean(r["llm_s"] for r in cmp_rows),
            "free_s_mean": statistics.mean(r["free_s"] for r in cmp_rows),
            "constrained_tokens_mean": statistics.mean(r["tokens"] for r in cmp_rows),
            "constrained_model_chosen_tokens_mean": statistics.mean(r["generated"] for r in cmp_rows),
            "free_tokens_mean": statistics.mean(r["free_tokens"] for r in cmp_rows),
            "free_valid": sum(r["free_valid"] for r in cmp_rows),
            "constrained_valid": len(cmp_rows),  # by construction; checked by tests
        }
    print()
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {
        "threads": a.threads,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg": os.getloadavg()[0],
        "model": backend.model_name,
    }
    out.write_text(
        json.dumps({"env": env, "summary": summary, "rows": rows}, indent=1, ensure_ascii=False),
        encoding="utf-8",
    )
    print(f"wrote {out}")
    return 0


def _print_row(r: dict, header: bool) -> None:
    if header:
        print(
            f"{'doc':<14} {'ocr s':>6} {'llm s':>6} {'prompt':>6} {'tok':>4} {'gen':>4} | {'free s':>6} {'free tok':>8} valid"
        )
    free = (
        f"{r['free_s']:6.1f} {r['free_tokens']:8d} {'yes' if r['free_valid'] else 'no'}"
        if "free_s" in r
        else ""
    )
    print(
        f"{r['doc']:<14} {r['ocr_s']:6.1f} {r['llm_s']:6.1f} {r['prompt_tokens']:6d} {r['tokens']:4d} "
        f"{r['generated']:4d} | {free}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
