"""End-to-end speed of chatocr against the naive pipeline, measured in the same run.

Each method runs in its own subprocess (so peak memory is its own): models load once, then every
document is OCR'd (no cache) and extracted. Printed per method: OCR seconds per page (per engine),
LLM seconds per document, answer tokens per second, documents per minute end to end, peak RSS,
and each as a ratio against `naive` (OCR lines joined by spaces, free generation, no grounding).

    python -m bench.pipeline_speed [--docs 4] [--engines rapid,paddle] [--out reports/bench]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
METHODS = ("naive", "pipeline", "regex")


def pick_documents(n: int) -> list[dict]:
    """`n` labelled documents alternating between the dev sets (receipts and VAT invoices)."""
    from chatocr.evaluation import load_dataset

    sets = [load_dataset(DEV / name) for name in ("sroie_receipts", "vat_invoices") if (DEV / name).is_dir()]
    if not sets:
        raise SystemExit(f"bench: no dev data at {DEV} (set CHATOCR_DEV_DATA)")
    out: list[dict] = []
    i = 0
    while len(out) < n and any(i < len(s.docs) for s in sets):
        for s in sets:
            if i < len(s.docs) and len(out) < n:
                d = s.docs[i]
                out.append({"path": str(d.path), "fields": s.fields_for(d.doc_type)})
        i += 1
    return out


def worker(method: str, docs: list[dict], engine: str, model: str | None, naive_tokens: int = 256) -> dict:
    """Run in a fresh process: load once, then OCR + extract every document."""
    from chatocr.evaluation.runner import EvalConfig, build_pipeline, ocr_seconds, predict

    t0 = time.perf_counter()
    pipe = build_pipeline(EvalConfig(dataset=".", method=method, engine=engine, model=model))
    load_s = time.perf_counter() - t0
    rows = []
    for d in docs:
        t = time.perf_counter()
        ocr = pipe.ocr(d["path"])
        pred = predict(method, pipe, ocr, d["fields"], max_new_tokens=naive_tokens)
        rows.append(
            {
                "pages": len(ocr.pages),
                "ocr_s": ocr_seconds(ocr),
                "llm_s": pred.llm_s,
                "tokens": pred.tokens,
                "wall_s": time.perf_counter() - t,
                "error": pred.error,
            }
        )
    return {
        "method": method,
        "engine": engine,
        "load_s": load_s,
        "docs": rows,
        # ru_maxrss is KiB on Linux
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "model": getattr(pipe.backend, "model_name", None),
    }


def run_worker(
    method: str, docs: list[dict], engine: str, model: str | None, naive_tokens: int
) -> dict | None:
    cmd = [
        sys.executable,
        "-m",
        "bench.pipeline_speed",
        "--worker",
        method,
        "--engine",
        engine,
        "--naive-tokens",
        str(naive_tokens),
    ]
    if model:
        cmd += ["--model", model]
    p = subprocess.run(cmd, input=json.dumps(docs), capture_output=True, text=True, cwd=REPO)
    if p.returncode != 0:
        tail = (p.stderr or "").strip().splitlines()[-1:] or ["(no output)"]
        print(f"bench: {method}/{engine} failed: {tail[0]}", file=sys.stderr)
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def figures(r: dict) -> dict:
    docs = r["docs"]
    pages = sum(d["pages"] for d in docs) or 1
    llm = sum(d["llm_s"] for d in docs)
    toks = sum(d["tokens"] for d in docs)
    wall = sum(d["wall_s"] for d in docs)
    return {
        "ocr_s_per_page": sum(d["ocr_s"] for d in docs) / pages,
        "llm_s_per_doc": llm / len(docs),
        "tokens_per_s": toks / llm if llm > 0 and toks else None,
        "docs_per_min": 60 * len(docs) / wall if wall else None,
        "peak_rss_mb": r["peak_rss_mb"],
        "load_s": r["load_s"],
    }


LABELS = {
    "ocr_s_per_page": "OCR s/page",
    "llm_s_per_doc": "LLM s/doc",
    "tokens_per_s": "answer tok/s",
    "docs_per_min": "docs/min (end to end)",
    "peak_rss_mb": "peak RSS MB",
    "load_s": "load s",
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=4, help="documents (alternating receipts / VAT invoices)")
    ap.add_argument("--engines", default="rapid", help="OCR engines to time, comma separated (rapid,paddle)")
    ap.add_argument("--model", default=None, help="model for naive and pipeline (default: the embedded one)")
    ap.add_argument("--naive-tokens", type=int, default=256, help="generation budget of the naive method")
    ap.add_argument("--out", default=str(REPO / "reports" / "bench"))
    ap.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="rapid", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(a.worker, json.loads(sys.stdin.read()), a.engine, a.model, a.naive_tokens)))
        return 0

    docs = pick_documents(a.docs)
    engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    print(
        f"bench: {len(docs)} documents, engines {engines}, methods {list(METHODS)} (one process each)",
        file=sys.stderr,
    )
    results: list[dict] = []
    for engine in engines:
        for method in METHODS:
            r = run_worker(method, docs, engine, a.model, a.naive_tokens)
            if r is not None:
                r["figures"] = figures(r)
                results.append(r)

    lines = [
        f"# Pipeline speed ({len(docs)} documents, host CPUs: {os.cpu_count()}, load avg {os.getloadavg()[0]:.1f})",
        "",
    ]
    for engine in engines:
        rows = {r["method"]: r["figures"] for r in results if r["engine"] == engine}
        if not rows:
            lines.append(f"engine {engine}: not available")
            continue
        base = rows.get("naive")
        lines += [
            f"## OCR engine `{engine}`",
            "",
            "| figure | " + " | ".join(rows) + " | pipeline ÷ naive |",
            "|---|" + "---:|" * (len(rows) + 1),
        ]
        for key, label in LABELS.items():
            vals = [rows[m][key] for m in rows]
            ratio = "–"
            if base and "pipeline" in rows and base[key] and rows["pipeline"][key] is not None:
                ratio = f"{rows['pipeline'][key] / base[key]:.2f}×"
            lines.append(
                f"| {label} | " + " | ".join("–" if v is None else f"{v:.2f}" for v in vals) + f" | {ratio} |"
            )
        lines.append("")
    text = "\n".join(lines)
    print(text)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pipeline_speed.md").write_text(text + "\n", encoding="utf-8")
    (out / "pipeline_speed.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"wrote {out / 'pipeline_speed.md'}", file=sys.stderr)
    return 0 if results else 1


if __name__ == "__main__":
    raise SystemExit(main())
