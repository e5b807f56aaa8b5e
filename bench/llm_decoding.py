"""LLM seconds per document of two model/decoding setups on the same dev documents, in one run.

    python -m bench.llm_decoding --a MODEL_A [--a-opts free] --b MODEL_B [--docs 3] [--rounds 2]

Each setup is a transformers backend (a model or adapter dir, or "default") with a decoding mode:
`free` (values written freely, no drafting: the previous default), `copy` (copy-constrained, no
drafting) or `draft` (copy-constrained with prompt-lookup drafting: today's default). Documents
come from the OCR cache of the dev sets (`chatocr eval` fills it), so only the LLM is timed; the
setups alternate document by document so that a busy machine slows both alike. Prints a table and
writes reports/bench_llm_decoding.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
MODES = {"free": (False, 0), "copy": (True, 0), "draft": (True, 8)}


def cached_documents(n: int):
    from chatocr.evaluation import load_dataset
    from chatocr.evaluation.runner import OcrCache
    from ocr_stage import OcrResult
    from ocr_stage.engines.rapid import CACHE_NAME as RAPID_CACHE_NAME

    cache = OcrCache()
    out = []
    for name in ("sroie_receipts", "vat_invoices"):
        ds = load_dataset(DEV / name)
        for d in ds.docs[:n]:
            p = cache.path_for(d.path, RAPID_CACHE_NAME)
            if not p.is_file():
                raise SystemExit(f"bench: no cached OCR for {d.path}; run `chatocr eval {DEV / name}` first")
            out.append((name, OcrResult.model_validate_json(p.read_text(encoding="utf-8")), list(d.fields)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", default="default", help="model A (dir, adapter dir, or 'default')")
    ap.add_argument("--a-mode", default="free", choices=list(MODES))
    ap.add_argument("--b", default="default")
    ap.add_argument("--b-mode", default="draft", choices=list(MODES))
    dtypes = ["auto", "float32", "bfloat16"]
    ap.add_argument(
        "--a-dtype", default="float32", choices=dtypes, help="A's weights (the old default: fp32)"
    )
    ap.add_argument("--b-dtype", default="auto", choices=dtypes, help="B's weights (auto: today's default)")
    ap.add_argument("--docs", type=int, default=3, help="documents per dev set")
    ap.add_argument("--out", default=str(REPO / "reports" / "bench_llm_decoding"))
    a = ap.parse_args(argv)

    from llm_stage import FieldQuery, get_backend
    from llm_stage.extract import extract

    docs = cached_documents(a.docs)
    setups = []
    for label, model, mode, dtype in (("A", a.a, a.a_mode, a.a_dtype), ("B", a.b, a.b_mode, a.b_dtype)):
        copy, draft = MODES[mode]
        be = get_backend(
            "transformers", model=None if model == "default" else model, draft_tokens=draft, dtype=dtype
        )
        setups.append(
            {
                "label": label,
                "model": be.model_name,
                "mode": f"{mode} {be.dtype}",
                "copy": copy,
                "backend": be,
            }
        )
    times: dict[tuple[str, str], list[float]] = {}
    prompt_tokens: dict[str, list[int]] = {}
    for name, ocr, fields in docs:
        for s in setups:
            t0 = time.perf_counter()
            ex = extract(ocr, FieldQuery(fields=fields), s["backend"], copy=s["copy"])
            times.setdefault((s["label"], name), []).append(time.perf_counter() - t0)
            if s["label"] == "B":
                from llm_stage.prompt import build_messages

                prompt_tokens.setdefault(name, []).append(
                    len(s["backend"].prompt_ids(build_messages(ocr, FieldQuery(fields=fields))))
                )
            _ = ex
    rows = []
    for name in ("sroie_receipts", "vat_invoices"):
        ta = statistics.mean(times[("A", name)])
        tb = statistics.mean(times[("B", name)])
        rows.append({"set": name, "docs": len(times[("A", name)]), "a_s": round(ta, 2), "b_s": round(tb, 2),
                     "speedup": round(ta / tb, 2), "prompt_tokens": round(statistics.mean(prompt_tokens[name]))})  # fmt: skip
    report = {"a": {k: v for k, v in setups[0].items() if k != "backend"},
              "b": {k: v for k, v in setups[1].items() if k != "backend"}, "rows": rows}  # fmt: skip
    md = [
        "# LLM seconds per document, two setups in one run",
        "",
        f"A: `{setups[0]['model']}` ({setups[0]['mode']}); B: `{setups[1]['model']}` ({setups[1]['mode']}). "
        "Same documents, alternating; OCR from the eval cache.",
        "",
        "| set | docs | A LLM s/doc | B LLM s/doc | A/B | B prompt tokens |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {r['set']} | {r['docs']} | {r['a_s']} | {r['b_s']} | {r['speedup']}x | {r['prompt_tokens']} |"
            for r in rows
        ],
    ]
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
