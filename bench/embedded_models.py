"""The two embedded models side by side, untrained (base weights): prompt tokens per document, LLM
seconds per document (copy-constrained decoding of the dev fields, as `chatocr extract` runs it) and
peak RSS, on the dev VAT invoices and SROIE receipts.

    .venv/bin/python -m bench.embedded_models [--time-docs 3] [--threads 1] [--models smollm2-135m-instruct,gemma3-270m]

OCR comes from the evaluation cache (reports/cache/ocr/<sha1>-rapid-u1.8.json, written by `chatocr eval`);
documents without a cached OCR result are skipped. Prompt tokens are counted for every document
(tokenizer only); the LLM is timed on the first `--time-docs` documents of each set. Each model runs in
its own process, so its peak RSS is its own (model + tokenizer + decoding). Writes
reports/bench_embedded_models.{json,md}. On a shared machine compare the ratios of one run, not
absolute seconds across runs: the report records the load average before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ocr_stage.engines.rapid import CACHE_NAME as RAPID_CACHE_NAME

REPO = Path(__file__).resolve().parent.parent
DEV = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
CACHE = REPO / "reports" / "cache" / "ocr"
SETS = {"vat_invoices": "VAT invoices", "sroie_receipts": "SROIE receipts"}


def dev_docs(engine: str = RAPID_CACHE_NAME) -> list[dict]:
    """[{set, name, ocr_path, fields}] for the dev documents whose OCR is cached."""
    docs = []
    for key in SETS:
        labels = DEV / key / "labels.jsonl"
        if not labels.is_file():
            print(f"note: no dev set at {labels}", file=sys.stderr)
            continue
        recs = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines() if x.strip()]
        fields: list[str] = []
        for r in recs:  # the set's fields in the order the labels first name them
            fields += [f for f in r["fields"] if f not in fields]
        for r in recs:
            img = labels.parent / r["image"]
            cached = CACHE / f"{hashlib.sha1(img.read_bytes()).hexdigest()}-{engine}.json"
            if cached.is_file():
                docs.append({"set": key, "name": Path(r["image"]).stem, "ocr": str(cached), "fields": fields})
    return docs


def worker(model: str, docs: list[dict], time_docs: int, threads: int) -> dict:
    import resource

    from llm_stage import FieldQuery, extract, get_backend
    from llm_stage.prompt import build_messages
    from ocr_stage import OcrResult

    t0 = time.perf_counter()
    backend = get_backend("transformers", model=model, threads=threads)
    load_s = time.perf_counter() - t0
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timed = {k: 0 for k in SETS}
    rows = []
    for d in docs:
        ocr = OcrResult.model_validate_json(Path(d["ocr"]).read_text(encoding="utf-8"))
        q = FieldQuery(fields=d["fields"])
        row = {
            "set": d["set"],
            "name": d["name"],
            "prompt_tokens": len(backend.prompt_ids(build_messages(ocr, q))),
        }
        if timed[d["set"]] < time_docs:
            timed[d["set"]] += 1
            ex = extract(ocr, q, backend)
            row.update(
                llm_s=round(ex.timings.get("llm_s", 0.0), 3),
                answer_tokens=ex.timings.get("tokens"),
                non_null=sum(1 for v in ex.fields.values() if v.value is not None),
            )
        rows.append(row)
    return {
        "model": backend.model_name,
        "load_s": round(load_s, 2),
        "rss_after_load_mb": round(rss_loaded),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rows": rows,
    }


def summarise(res: dict) -> dict:
    out = {}
    for key in SETS:
        rows = [r for r in res["rows"] if r["set"] == key]
        if not rows:
            continue
        timed = [r for r in rows if "llm_s" in r]
        out[key] = {
            "docs": len(rows),
            "prompt_tokens_mean": round(statistics.mean(r["prompt_tokens"] for r in rows), 1),
            "prompt_tokens_max": max(r["prompt_tokens"] for r in rows),
            "timed_docs": len(timed),
            "llm_s_per_doc": round(statistics.mean(r["llm_s"] for r in timed), 2) if timed else None,
        }
    return out


def write_report(report: dict, out: Path) -> tuple[Path, Path]:
    out.parent.mkdir(parents=True, exist_ok=True)
    jpath, mpath = out.with_suffix(".json"), out.with_suffix(".md")
    jpath.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    models = list(report["models"])
    base = models[0]
    lines = [
        "# Embedded models, untrained: prompt tokens, LLM s/doc, peak RSS",
        "",
        f"{report['machine']}; torch threads {report['threads']}; load average "
        f"{report['loadavg_before']} before, {report['loadavg_after']} after. {report['note']}",
        "",
        "| model | set | docs | prompt tokens (mean / max) | timed docs | LLM s/doc | load s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in models:
        r = report["models"][m]
        for key, s in r["summary"].items():
            lines.append(
                f"| {m} | {SETS[key]} | {s['docs']} | {s['prompt_tokens_mean']} / {s['prompt_tokens_max']} | "
                f"{s['timed_docs']} | {s['llm_s_per_doc']} | {r['load_s']} | {r['peak_rss_mb']} |"
            )
    if len(models) > 1:
        lines += ["", f"Ratios against {base} (same run):", ""]
        lines += ["| model | set | prompt tokens | LLM s/doc | peak RSS |", "|---|---|---|---|---|"]
        for m in models[1:]:
            for key, s in report["models"][m]["summary"].items():
                b = report["models"][base]["summary"].get(key)
                if not b:
                    continue
                tok = s["prompt_tokens_mean"] / b["prompt_tokens_mean"]
                sec = (
                    (s["llm_s_per_doc"] / b["llm_s_per_doc"])
                    if s["llm_s_per_doc"] and b["llm_s_per_doc"]
                    else None
                )
                rss = report["models"][m]["peak_rss_mb"] / report["models"][base]["peak_rss_mb"]
                lines.append(
                    f"| {m} | {SETS[key]} | {tok:.2f}x | {f'{sec:.2f}x' if sec else '-'} | {rss:.2f}x |"
                )
    lines.append("")
    mpath.write_text("\n".join(lines), encoding="utf-8")
    return jpath, mpath


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="smollm2-135m-instruct,gemma3-270m", help="embedded model names")
    ap.add_argument("--time-docs", type=int, default=3, help="documents per set timed with the LLM")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads for the LLM")
    ap.add_argument("--out", default=str(REPO / "reports" / "bench_embedded_models"))
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        spec = json.loads(sys.stdin.read())
        print(json.dumps(worker(a.worker, spec["docs"], a.time_docs, a.threads), ensure_ascii=False))
        return 0

    docs = dev_docs()
    if not docs:
        print(f"no dev documents with cached OCR in {CACHE}: run `make eval` first", file=sys.stderr)
        return 1
    from llm_stage.embedded import prepare_embedded_model

    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "threads": a.threads,
        "time_docs": a.time_docs,
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "note": "",
        "models": {},
    }
    for m in a.models.split(","):
        prepare_embedded_model(name=m)  # conversion outside the timed worker
        t0 = time.perf_counter()
        p = subprocess.run(
            [sys.executable, "-m", "bench.embedded_models", "--worker", m, "--time-docs", str(a.time_docs),
             "--threads", str(a.threads)],
            input=json.dumps({"docs": docs}), capture_output=True, text=True, cwd=REPO,
        )  # fmt: skip
        if p.returncode != 0:
            print(p.stderr[-3000:], file=sys.stderr)
            return 1
        res = json.loads(p.stdout.strip().splitlines()[-1])
        res["summary"] = summarise(res)
        res["wall_s"] = round(time.perf_counter() - t0, 1)
        report["models"][m] = res
        print(
            f"{m}: {json.dumps(res['summary'], ensure_ascii=False)} peak RSS {res['peak_rss_mb']} MB",
            file=sys.stderr,
        )
    report["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if max(report["loadavg_before"][0], report["loadavg_after"][0]) > (os.cpu_count() or 1) * 0.75:
        report["note"] = (
            "The machine was loaded by other jobs during this run: absolute seconds are inflated and noisy; "
            "the ratios between the models (one run, interleaved load) are what to read."
        )
    jpath, mpath = write_report(report, Path(a.out))
    print(mpath.read_text(encoding="utf-8"))
    print(f"wrote {jpath} and {mpath}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
