"""Do answers depend on the company they keep? Each dev document is asked its labelled fields
together and each field alone; a (document, field) pair is consistent when both answers agree (the
eval's match after normalisation). Reports the default per-field decoding and the joint decoding
(the whole query as one JSON object, the way before: the backend's second decoding of the same
query, from the same document pass), each on the model's own answer and after the value rules,
the exact-match rate against the labels, the review flag's rates on right and wrong values, and
the LLM time; writes reports/consistency.{json,md} and the confidence features of every answered
value (reports/consistency.features.jsonl, for checking a calibration).

    python -m bench.consistency [--data DIR] [--sets a,b] [--limit N] [--separate N] [--out PREFIX]
    python -m bench.consistency --summarise reports/consistency*.pairs.jsonl

Each (document, field) pair is appended to PREFIX.pairs.jsonl as it is measured, so runs over
parts of the slice (or an interrupted run) are summarised together with `--summarise`.

A field asked alone is one prompt: the same tokens per-field decoding continues from the shared
document pass. So "alone" is read from the per-field decoding (the model's value; the value rules
and the evidence check then run on that field alone), and `--separate N` checks on the first N
documents of each set that a real single-field extraction gives the same values.
Uses the eval's OCR cache (reports/cache/ocr), so OCR runs once per image.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

DEV = Path("/work/shared/data/dev")


def dev_documents(data: Path, limit: int | None = None, sets: list[str] | None = None):
    """(set name, image path, labelled fields) of every labelled dev document."""
    for ds in sorted(p for p in data.iterdir() if (p / "labels.jsonl").is_file()):
        if sets and ds.name not in sets:
            continue
        lines = [ln for ln in (ds / "labels.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
        for line in lines[:limit] if limit else lines:
            lab = json.loads(line)
            yield ds.name, ds / lab["image"], lab["fields"]


def raw_values(ex) -> dict:
    """The model's own values (before the value rules), from the answer's raw output."""
    try:
        return json.loads(ex.raw_output)
    except (TypeError, ValueError):
        return {}


def summarise(records: list[dict]) -> tuple[dict, list[str]]:
    """The report (and its markdown lines) of pair records."""
    modes = ("per_field", "joint")
    n = max(1, len(records))
    rep: dict = {"pairs": len(records), "documents": len({(r["set"], r["image"]) for r in records})}
    for m in modes:
        rs = [r for r in records if m in r]
        rep[f"consistent_{m}"] = round(sum(r[m]["same"] for r in rs) / max(1, len(rs)), 4)
        rep[f"consistent_raw_{m}"] = round(sum(r[m]["same_raw"] for r in rs) / max(1, len(rs)), 4)
        rep[f"exact_{m}"] = round(sum(r[m]["right"] for r in rs) / max(1, len(rs)), 4)
    rep["exact_alone"] = round(sum(r["alone"]["right"] for r in records) / n, 4)
    right = [r for r in records if r["per_field"]["right"]]
    wrong = [r for r in records if not r["per_field"]["right"]]
    rep["flag_rate_wrong"] = round(sum(r["per_field"]["needs_review"] for r in wrong) / max(1, len(wrong)), 3)
    rep["flag_rate_right"] = round(sum(r["per_field"]["needs_review"] for r in right) / max(1, len(right)), 3)
    rep["wrong"], rep["right"] = len(wrong), len(right)
    sep = [r for r in records if "separate_same" in r]
    rep["separately_checked"], rep["separately_same"] = len(sep), sum(r["separate_same"] for r in sep)
    docs = {(r["set"], r["image"]): r for r in records}
    rep["llm_s_full_queries"] = round(sum(r["llm_s"] for r in docs.values()), 2)
    differing = {m: [r for r in records if m in r and not (r[m]["same"] and r[m]["same_raw"])] for m in modes}
    md = [
        f"# Consistency: {rep['pairs']} (document, field) pairs of {rep['documents']} dev documents, "
        "each field asked alone and in the full query",
        "",
    ]
    for m in modes:
        md.append(
            f"- full query, {m}: same value as alone {rep[f'consistent_{m}']:.1%} (the model's own answer, "
            f"before the value rules: {rep[f'consistent_raw_{m}']:.1%}); exact match {rep[f'exact_{m}']:.1%}"
        )
    md.append(
        f"- each field alone: exact match {rep['exact_alone']:.1%}; in a separate single-field extraction, "
        f"{rep['separately_same']} of {rep['separately_checked']} pairs gave the shared-pass per-field value"
    )
    md.append(
        f"- review flag (per-field answers): {rep['flag_rate_wrong']:.0%} of {len(wrong)} wrong values, "
        f"{rep['flag_rate_right']:.0%} of {len(right)} right ones"
    )
    md.append(
        f"- LLM time of the full queries (per field, with the joint second opinion): {rep['llm_s_full_queries']} s"
    )
    for m in modes:
        md += [
            "",
            f"## differing, {m}",
            "",
            "| document | field | full query | alone | full, model's own | alone, model's own |",
        ]
        md.append("|---|---|---|---|---|---|")
        md += [
            f"| {r['image']} | {r['field']} | {r[m]['value']} | {r['alone']['value']} | {r[m]['raw']} | {r['alone']['raw']} |"
            for r in differing[m]
        ]
    rep["differing"] = {m: [(r["image"], r["field"]) for r in differing[m]] for m in modes}
    return rep, md


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEV))
    ap.add_argument("--sets", default=None, help="comma-separated set folders (default: all)")
    ap.add_argument("--limit", type=int, default=None, help="documents per set")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--separate", type=int, default=0, help="documents per set also asked each field alone")
    ap.add_argument("--out", default="reports/consistency")
    ap.add_argument("--summarise", nargs="*", default=None, help="pair files of earlier runs to report on")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if a.summarise is not None:
        records = [
            json.loads(ln)
            for p in a.summarise
            for ln in Path(p).read_text(encoding="utf-8").splitlines()
            if ln
        ]
    else:
        records = measure(a, out)
    rep, md = summarise(records)
    out.with_suffix(".json").write_text(json.dumps(rep, ensure_ascii=False, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md[:7]))
    return 0


def measure(a, out: Path) -> list[dict]:
    """Ask every document of the slice; one record per (document, field), appended as measured."""
    from chatocr import Pipeline, Settings
    from chatocr.evaluation.normalize import values_equal
    from chatocr.evaluation.runner import OcrCache
    from llm_stage import FieldQuery
    from llm_stage.evidence import drop_unsupported
    from llm_stage.extract import alone_context, extract
    from llm_stage.repairs import DEFAULT_PRESET, amounts_together, apply_repairs

    def settled(values, text):
        """Values after the default repairs and the evidence check, as the pipeline settles them."""
        return drop_unsupported(apply_repairs(values, text, DEFAULT_PRESET)[0], text)[0]

    def settled_alone(k, decoded, text):
        """A field's final value asked alone: the repairs and the evidence check on it and, for an
        amount, the other amount roles decoded beside it (Extraction.companions)."""
        return settled(alone_context(k, decoded, amounts_together(DEFAULT_PRESET, text)), text).get(k)

    pipeline = Pipeline.from_settings(Settings(llm_threads=a.threads), load_llm=True)
    pipeline.backend.options.agreement = True  # the joint decoding, from the same document pass
    cache = OcrCache()
    records: list[dict] = []
    seen: dict[str, int] = {}
    sink = out.with_suffix(".pairs.jsonl").open("w", encoding="utf-8")
    sets = a.sets.split(",") if a.sets else None
    for ds, img, labels in dev_documents(Path(a.data), a.limit, sets):
        ocr, _ = cache.get(img, pipeline)
        keys = list(labels)
        text = str(ocr.to_text())
        t0 = time.perf_counter()
        full = extract(ocr, FieldQuery(fields=keys), pipeline.backend, per_field=True)
        llm_s = time.perf_counter() - t0
        own = raw_values(full)
        answers = {"per_field": ({k: fv.value for k, fv in full.fields.items()}, own)}
        if full.alternative is not None:
            alt = full.alternative
            answers["joint"] = (settled(dict(alt), text), alt)
        seen[ds] = seen.get(ds, 0) + 1
        for k in keys:
            sr = own.get(k)
            s = settled_alone(k, {**own, **full.companions}, text)
            rec: dict = {"set": ds, "image": img.name, "field": k, "label": labels[k], "llm_s": llm_s}
            if seen[ds] <= a.separate:
                alone = extract(ocr, FieldQuery(fields=[k]), pipeline.backend)
                a_v, a_r = alone.fields[k].value, raw_values(alone).get(k)
                rec["separate_same"] = bool(values_equal(k, a_v, s) and values_equal(k, a_r, sr))
                s, sr = a_v, a_r
            rec["alone"] = {"value": s, "raw": sr, "right": bool(values_equal(k, s, labels[k]))}
            for m, (final, mine) in answers.items():
                f, fr = final.get(k), mine.get(k)
                rec[m] = {
                    "value": f,
                    "raw": fr,
                    "right": bool(values_equal(k, f, labels[k])),
                    "same": bool(values_equal(k, f, s)),
                    "same_raw": bool(values_equal(k, fr, sr)),
                }
            fv = full.fields[k]
            rec["per_field"].update(
                needs_review=fv.needs_review, confidence=fv.confidence, x=full.features.get(k)
            )
            records.append(rec)
            sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
            sink.flush()
        print(
            f"{ds}/{img.name}: differ per_field {sum(not r['per_field']['same'] for r in records if r['image'] == img.name)}, "
            f"joint {sum(not r.get('joint', {}).get('same', True) for r in records if r['image'] == img.name)}",
            file=sys.stderr,
        )
    sink.close()
    return records


if __name__ == "__main__":
    sys.exit(main())
