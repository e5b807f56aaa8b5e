"""`make eval`: every method on the synthetic test split and the real dev sets, one table.

    python -m chatocr.evaluation.suite [--dev DIR] [--test DIR] [--methods regex,naive,pipeline]
                                       [--test-limit 30] [--limit N] [--out reports/eval]

Models load once for the whole suite. When a fine-tuned adapter is shipped, the pipeline also runs
with `--model embedded` (the base model before fine-tuning). Results go to
reports/eval/<set>-<method>[-<model>].json/.md; the table to reports/eval/summary.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .report import summary_table
from .runner import DEFAULT_REPORTS, REPO_ROOT, EvalConfig, OcrCache, build_pipeline, default_out, run_eval

DEV_DEFAULT = Path(os.environ.get("CHATOCR_DEV_DATA", REPO_ROOT.parent / "shared" / "data" / "dev"))


def find_test_split(root: Path = REPO_ROOT / "datasets") -> Path | None:
    """The generator's test split: datasets/test, else the largest datasets/**/test with labels."""
    direct = root / "test"
    if (direct / "labels.jsonl").is_file():
        return direct
    found = [p.parent for p in root.glob("**/test/labels.jsonl") if "work" not in p.relative_to(root).parts]

    def size(d: Path):
        f = d / "labels.jsonl"
        return (sum(1 for line in f.open(encoding="utf-8") if line.strip()), f.stat().st_mtime)

    return max(found, key=size) if found else None


def write_summary(results: list[dict], out: Path) -> str:
    """reports/eval/summary.md: the set x method table (and a note when the model is untrained)."""
    table = summary_table(results)
    untrained = ""
    try:
        from llm_stage.embedded import shipped_adapter

        if shipped_adapter() is None:
            untrained = "\nThe embedded model has no fine-tuned adapter yet: naive/pipeline rows are the untrained model.\n"
    except ImportError:
        pass
    text = "# Evaluation summary\n\n" + "\n".join(table) + "\n" + untrained
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(text, encoding="utf-8")
    return text


def rescore_folder(out: Path) -> int:
    """Rescore every result file in `out` and rebuild its report and the summary."""
    import json

    from .metrics import rescore, summarize
    from .report import ResultFileError, load_result, write_markdown

    results = []
    for f in sorted(out.glob("*.json")):
        try:
            r = load_result(f)
        except ResultFileError:
            continue
        r["summary"] = summarize(rescore(r["documents"]))
        f.write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
        write_markdown(r, f.with_suffix(".md"))
        results.append(r)
    order = {"test": 0, "sroie_receipts": 1, "vat_invoices": 2}
    methods = {"regex": 0, "naive": 1, "pipeline": 2}
    results.sort(
        key=lambda r: (
            order.get(r["config"].get("dataset_name"), 9),
            methods.get(r["config"]["method"], 9),
            str(r["config"].get("model")),
        )
    )
    print(write_summary(results, out))
    return 0 if results else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", default=str(DEV_DEFAULT), help="folder holding the dev sets")
    ap.add_argument("--test", default=None, help="synthetic test split (default: found under datasets/)")
    ap.add_argument("--methods", default="regex,naive,pipeline")
    ap.add_argument("--test-limit", type=int, default=30, help="documents of the synthetic split (0 = all)")
    ap.add_argument("--limit", type=int, default=0, help="documents per dev set (0 = all)")
    ap.add_argument(
        "--naive-limit",
        type=int,
        default=0,
        help="documents per set for the naive method (0 = as the others; its free generation is slow)",
    )
    ap.add_argument("--naive-tokens", type=int, default=256, help="generation budget of the naive method")
    ap.add_argument("--model", default=None, help="model for naive/pipeline (default: the embedded model)")
    ap.add_argument("--out", default=str(DEFAULT_REPORTS / "eval"))
    ap.add_argument(
        "--rescore",
        action="store_true",
        help="run nothing: rescore the result files in --out with the current metrics, rewrite reports",
    )
    a = ap.parse_args(argv)
    if a.rescore:
        return rescore_folder(Path(a.out))
    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    out = Path(a.out)

    sets: list[tuple[Path, int]] = []
    test = Path(a.test) if a.test else find_test_split()
    if test and (test / "labels.jsonl").is_file():
        sets.append((test, a.test_limit))
    else:
        print("eval: no synthetic test split found (run `make data`); skipping it", file=sys.stderr)
    dev = Path(a.dev)
    for name in ("sroie_receipts", "vat_invoices"):
        if (dev / name / "labels.jsonl").is_file():
            sets.append((dev / name, a.limit))
        else:
            print(f"eval: dev set {dev / name} not found; skipping it", file=sys.stderr)
    if not sets:
        print("eval: nothing to evaluate", file=sys.stderr)
        return 1

    runs: list[tuple[str, str | None]] = [(m, a.model) for m in methods]
    if "pipeline" in methods and a.model is None:
        from llm_stage.embedded import shipped_adapter

        if shipped_adapter() is not None:  # before fine-tuning, for the comparison
            runs.append(("pipeline", "embedded"))

    cache = OcrCache()
    pipelines: dict[str | None, object] = {}
    results = []
    for folder, limit in sets:
        for method, model in runs:
            n = a.naive_limit if method == "naive" and a.naive_limit else limit
            cfg = EvalConfig(
                dataset=str(folder),
                method=method,
                model=model,
                limit=n or None,
                max_new_tokens=a.naive_tokens if method == "naive" else 256,
            )
            key = None if method == "regex" else model or ""
            if key not in pipelines:
                pipelines[key] = build_pipeline(cfg)
            res = run_eval(cfg, out=out / default_out(cfg).name, pipeline=pipelines[key], cache=cache)
            results.append(res)

    text = write_summary(results, out)
    print(text)
    print(f"wrote {out / 'summary.md'} (per-run reports beside it)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
