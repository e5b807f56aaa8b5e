"""`make calibrate`: fit the field-confidence calibration of a model on the synthetic validation
split and check it on the test split (never on the real dev documents).

    python -m chatocr.evaluation.calibrate [--data datasets/generated/v3 ...] [--model DIR] [--limit N]
        [--dev ../shared/data/dev] [--reuse]

Each field query of a split's documents is answered by the pipeline; every value is right or
wrong (the eval's exact match); a logistic map from the confidence features to "right" is fitted
on val, its reliability table and expected calibration error (ECE) are measured on test, and the
review threshold is chosen on val. With `--dev`, the real dev documents' labelled fields are
answered too and the review flag's rates reported on them: a check, never fitted on. The
calibration goes beside the model's adapter (`calibration.json`); the report to
reports/calibration.{json,md}, the features of every value to reports/calibration.<split>.jsonl
(`--reuse` refits from those without running the model again).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .normalize import values_equal
from .runner import DEFAULT_REPORTS, REPO_ROOT

DATA_DEFAULT = REPO_ROOT / "datasets" / "generated" / "v3"


def split_queries(data: Path, split: str, limit: int | None = None, pipeline=None):
    """(OcrResult, FieldQuery, true answer) for every field query of the split's documents. With a
    `pipeline` whose OCR engine reports per-character confidences, a document stored without them
    is read again by it (through the eval OCR cache)."""
    from llm_stage import FieldQuery
    from ocr_stage import OcrResult

    from .runner import OcrCache, _lacks_char_scores

    cache = OcrCache()

    from tqdm import tqdm

    docs = sorted((data / "work" / "docs").glob("*.json"))
    n = 0
    # a bar only where documents may be read again (minutes); reading the stored OCR is instant
    for p in tqdm(
        docs, desc=f"{data.name}/{split} documents", unit="doc", disable=pipeline is None, file=sys.stderr
    ):
        rec = json.loads(p.read_text(encoding="utf-8"))
        if rec.get("split") != split or not rec.get("ocr"):
            continue
        ocr = OcrResult.model_validate_json((data / rec["ocr"]).read_text(encoding="utf-8"))
        if pipeline is not None and _lacks_char_scores(ocr, pipeline.ocr_engine):
            ocr, _ = cache.get(data / rec["image"], pipeline)
        for q in rec.get("queries", []):
            query = FieldQuery(**q["query"])
            if query.question:
                continue
            if any(isinstance(v, list) for v in q["answer"].values()):
                continue  # line items have no single value to be right about
            yield ocr, query, q["answer"]
        n += 1
        if limit and n >= limit:
            return


def collect(
    pipeline, data: list[Path], split: str, limit: int | None, progress: bool = True, sink: Path | None = None
):
    """Features and right/wrong of every answered field of the split of each folder (`limit`
    documents of each)."""
    items = [q for d in data for q in split_queries(d, split, limit, pipeline)]
    return collect_items(pipeline, items, f"calibrate/{split}", progress, sink)


def dev_queries(dev: Path, pipeline):
    """(OcrResult, FieldQuery, labels) of every labelled real dev document (OCR cached)."""
    from llm_stage import FieldQuery

    from .runner import OcrCache

    cache = OcrCache()
    for labels in sorted(dev.glob("*/labels.jsonl")):
        for line in labels.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lab = json.loads(line)
                ocr, _ = cache.get(labels.parent / lab["image"], pipeline)
                yield ocr, FieldQuery(fields=list(lab["fields"])), lab["fields"]


def collect_items(pipeline, items, desc: str, progress: bool = True, sink: Path | None = None):
    """Features and right/wrong of every answered field of (OcrResult, FieldQuery, answer) items;
    each row also appended to `sink` as it comes (an interrupted run keeps what it measured)."""
    from tqdm import tqdm

    xs, ys = [], []
    out = sink.open("w", encoding="utf-8") if sink is not None else None
    for ocr, query, answer in tqdm(items, desc=desc, unit="query", disable=not progress, file=sys.stderr):
        ex = pipeline.extract_from_ocr(ocr, query)
        for k, fv in ex.fields.items():
            x = ex.features.get(k)
            if x is not None:
                xs.append(x)
                ys.append(int(values_equal(k, fv.value, answer.get(k))))
                if out is not None:
                    out.write(json.dumps({"x": x, "y": ys[-1], "field": k}, ensure_ascii=False) + "\n")
                    out.flush()
    if out is not None:
        out.close()
    return xs, ys


def _cached(path: Path, reuse: bool, make):
    """(xs, ys) from `path` when reusing and it exists, else made by `make(path)`, which writes them there."""
    if reuse and path.is_file():
        rows = [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        return [r["x"] for r in rows], [r["y"] for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    return make(path)


def review_rates(
    conf: list[float], ys: list[int], threshold: float, xs: list[list[float]] | None = None
) -> tuple[float, float]:
    """(share of wrong values flagged, share of right values flagged) at `threshold`; with the
    values' features `xs`, a value whose least sure character is below UNSURE_CHARACTER is flagged
    too, as the pipeline flags it (`ocr_unsure_character`)."""
    from llm_stage.confidence import FEATURES
    from llm_stage.signals import is_unsure

    ci = FEATURES.index("char_score")
    flags = [
        c < threshold or (xs is not None and len(xs[i]) > ci and is_unsure(xs[i][ci]))
        for i, c in enumerate(conf)
    ]
    wrong = [f for f, y in zip(flags, ys, strict=True) if not y]
    right = [f for f, y in zip(flags, ys, strict=True) if y]
    return sum(wrong) / max(1, len(wrong)), sum(right) / max(1, len(right))


def main(argv: list[str] | None = None) -> int:
    from llm_stage.confidence import (
        FEATURES,
        FITTED,
        Calibration,
        choose_threshold,
        confidence_of,
        fit,
        reliability_table,
    )

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data",
        action="append",
        help=f"a generate_data output folder; repeat for several (default {DATA_DEFAULT})",
    )
    ap.add_argument("--model", default=None, help="model/adapter dir (default: the shipped model)")
    ap.add_argument("--limit", type=int, default=None, help="documents per split")
    ap.add_argument("--out", default=str(DEFAULT_REPORTS / "calibration"))
    ap.add_argument("--no-save", action="store_true", help="do not write calibration.json beside the adapter")
    ap.add_argument("--dev", default=None, help="real labelled documents to report the review flag on")
    ap.add_argument("--reuse", action="store_true", help="refit from the features a previous run wrote")
    a = ap.parse_args(argv)

    from chatocr import Pipeline, Settings
    from llm_stage.signals import UNSURE_CHARACTER

    data = [Path(d) for d in (a.data or [DATA_DEFAULT])]
    for d in data:
        if not (d / "work" / "docs").is_dir():
            print(
                f"calibrate: {d} is not a generate_data output (no work/docs); run `make data`",
                file=sys.stderr,
            )
            return 2
    names = "+".join(d.name for d in data)
    pipeline = Pipeline.from_settings(Settings(model=a.model), load_llm=True)
    backend = pipeline.backend
    out = Path(a.out)
    xv, yv = _cached(
        out.with_suffix(".val.jsonl"), a.reuse, lambda p: collect(pipeline, data, "val", a.limit, sink=p)
    )
    xt, yt = _cached(
        out.with_suffix(".test.jsonl"), a.reuse, lambda p: collect(pipeline, data, "test", a.limit, sink=p)
    )
    xd, yd = [], []
    if a.dev:
        xd, yd = _cached(
            out.with_suffix(".dev.jsonl"),
            a.reuse,
            lambda p: collect_items(
                pipeline, list(dev_queries(Path(a.dev), pipeline)), "calibrate/dev", sink=p
            ),
        )
    if len(set(yv)) < 2:
        print(
            "calibrate: the val split has only right (or only wrong) values; nothing to fit", file=sys.stderr
        )
        return 1
    cols = [FEATURES.index(f) for f in FITTED]
    weights = fit([[x[i] for i in cols] for x in xv], yv)
    cal = Calibration(weights=weights, features=list(FITTED), fitted_on=f"{names}/val", n=len(yv))
    conf_v = [cal.confidence(x) for x in xv]
    cal.threshold = choose_threshold(conf_v, yv)
    conf_d = [cal.confidence(x) for x in xd]
    dev_wrong, dev_right = review_rates(conf_d, yd, cal.threshold, xd)
    dev_conf_wrong, dev_conf_right = review_rates(conf_d, yd, cal.threshold)
    conf_t = [cal.confidence(x) for x in xt]
    rows, ece = reliability_table(conf_t, yt)
    raw_rows, raw_ece = reliability_table([confidence_of(None, x) for x in xt], yt)
    cal.ece, cal.reliability = round(ece, 4), rows
    test_wrong, test_right = review_rates(conf_t, yt, cal.threshold, xt)
    report = {
        "model": backend.model_name,
        "data": [str(d) for d in data],
        "val_values": len(yv),
        "test_values": len(yt),
        "test_accuracy": round(sum(yt) / max(1, len(yt)), 4),
        "ece_test": round(ece, 4),
        "ece_test_uncalibrated": round(raw_ece, 4),
        "threshold": cal.threshold,
        "review_rate_wrong": round(test_wrong, 4),
        "review_rate_right": round(test_right, 4),
        "dev": a.dev,
        "dev_values": len(yd),
        "dev_accuracy": round(sum(yd) / max(1, len(yd)), 4),
        "dev_review_rate_wrong": round(dev_wrong, 4),
        "dev_review_rate_right": round(dev_right, 4),
        "dev_review_rate_wrong_confidence_only": round(dev_conf_wrong, 4),
        "dev_review_rate_right_confidence_only": round(dev_conf_right, 4),
        "reliability_test": rows,
        "reliability_test_uncalibrated": raw_rows,
        "weights": cal.weights,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    md = [
        f"# Confidence calibration: {backend.model_name}",
        "",
        f"Fitted on {len(yv)} values of {names}/val, measured on {len(yt)} values of {names}/test "
        f"(accuracy {report['test_accuracy']:.1%}).",
        f"ECE on test: {ece:.3f} calibrated, {raw_ece:.3f} uncalibrated (geometric mean token probability).",
        f"Review threshold {cal.threshold} (and a character read below {UNSURE_CHARACTER}): flags "
        f"{report['review_rate_wrong']:.0%} of wrong values and {report['review_rate_right']:.0%} of right ones.",
        *(
            [
                f"Real dev documents ({len(yd)} values, accuracy {report['dev_accuracy']:.1%}; a check, not fitted on): "
                f"the flag marks {dev_wrong:.0%} of wrong values and {dev_right:.0%} of right ones "
                f"(the confidence alone {dev_conf_wrong:.0%} and {dev_conf_right:.0%})."
            ]
            if yd
            else []
        ),
        "",
        "| confidence | n | mean confidence | accuracy |",
        "|---|---:|---:|---:|",
        *[f"| {r['bin']} | {r['n']} | {r['confidence']:.3f} | {r['accuracy']:.3f} |" for r in rows],
    ]
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    adapter = getattr(backend, "adapter_dir", None)
    if adapter is not None and not a.no_save:
        print(f"calibrate: wrote {cal.save(adapter)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
