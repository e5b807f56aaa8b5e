"""Do answers depend on the company they keep? Each dev document is asked its labelled fields
together and each field alone; a (document, field) pair is consistent when both answers agree (the
eval's match after normalisation). Reports the default per-field decoding and the joint decoding
(the whole query as one JSON object, the way before: the backend's second decoding of the same
query, from the same document pass), each on the model's own answer and after the value rules,
the exact-match rate against the labels, the review flag's rates on right and wrong values, and
the LLM time; writes reports/consistency.{json,md} and the confidence features of every answered
value (reports/consistency.features.jsonl, for checking a calibration).

    python -m bench.consistency [--data /work/shared/data/dev] [--limit N] [--separate N]

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


def dev_documents(data: Path, limit: int | None = None):
    """(set name, image path, labelled fields) of every labelled dev document."""
    for ds in sorted(p for p in data.iterdir() if (p / "labels.jsonl").is_file()):
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEV))
    ap.add_argument("--limit", type=int, default=None, help="documents per set")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--separate", type=int, default=0, help="documents per set also asked each field alone")
    ap.add_argument("--out", default="reports/consistency")
    a = ap.parse_args(argv)

    from chatocr import Pipeline, Settings
    from chatocr.evaluation.normalize import values_equal
    from chatocr.evaluation.runner import OcrCache
    from llm_stage import FieldQuery
    from llm_stage.evidence import drop_unsupported
    from llm_stage.extract import extract
    from llm_stage.value_rules import apply_value_rules

    def settled_alone(k, v, text):
        """A field's final value asked alone: the rules and the evidence check on it by itself."""
        return drop_unsupported(apply_value_rules({k: v}, text), text)[0].get(k)

    pipeline = Pipeline.from_settings(Settings(llm_threads=a.threads), load_llm=True)
    cache = OcrCache()
    modes = ("per_field", "joint")
    pairs = 0
    same = {m: [0, 0] for m in modes}  # after the rules, the model's own
    right = {m: 0 for m in ("alone", *modes)}
    flags = {True: [0, 0], False: [0, 0]}  # right/wrong -> [flagged, total] (per-field answers)
    llm_s = {"full": 0.0, "alone": 0.0}
    separate = [0, 0]  # pairs checked by a real single-field extraction, of them the same
    seen: dict[str, int] = {}
    differing: dict[str, list] = {m: [] for m in modes}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    feats = out.with_suffix(".features.jsonl").open("w", encoding="utf-8")
    for ds, img, labels in dev_documents(Path(a.data), a.limit):
        ocr, _ = cache.get(img, pipeline)
        keys = list(labels)
        t0 = time.perf_counter()
        full = extract(ocr, FieldQuery(fields=keys), pipeline.backend, per_field=True)
        llm_s["full"] += time.perf_counter() - t0
        alt = full.alternative
        answers = {
            "per_field": ({k: fv.value for k, fv in full.fields.items()}, raw_values(full)),
        }
        text = str(ocr.to_text())
        if alt is not None:
            answers["joint"] = (drop_unsupported(apply_value_rules(dict(alt), text), text)[0], alt)
        own = raw_values(full)
        seen[ds] = seen.get(ds, 0) + 1
        for k in keys:
            pairs += 1
            sr = own.get(k)
            s = settled_alone(k, sr, text)
            if seen[ds] <= a.separate:
                t0 = time.perf_counter()
                alone = extract(ocr, FieldQuery(fields=[k]), pipeline.backend)
                llm_s["alone"] += time.perf_counter() - t0
                separate[0] += 1
                separate[1] += values_equal(k, alone.fields[k].value, s) and values_equal(
                    k, raw_values(alone).get(k), sr
                )
                s, sr = alone.fields[k].value, raw_values(alone).get(k)
            right["alone"] += values_equal(k, s, labels[k])
            fv = full.fields[k]
            ok_label = values_equal(k, fv.value, labels[k])
            flags[ok_label][0] += fv.needs_review
            flags[ok_label][1] += 1
            feats.write(
                json.dumps(
                    {"set": ds, "image": img.name, "field": k, "right": ok_label, "x": full.features.get(k)},
                    ensure_ascii=False,
                )
                + "\n"
            )
            for m, (final, mine) in answers.items():
                f, fr = final.get(k), mine.get(k)
                right[m] += values_equal(k, f, labels[k])
                ok, ok_raw = values_equal(k, f, s), values_equal(k, fr, sr)
                same[m][0] += ok
                same[m][1] += ok_raw
                if not (ok and ok_raw):
                    differing[m].append(
                        {
                            "set": ds,
                            "image": img.name,
                            "field": k,
                            "full": f,
                            "alone": s,
                            "full_raw": fr,
                            "alone_raw": sr,
                        }
                    )
        print(
            f"{ds}/{img.name}: differ per_field {sum(d['image'] == img.name for d in differing['per_field'])}, "
            f"joint {sum(d['image'] == img.name for d in differing['joint'])}",
            file=sys.stderr,
        )
    feats.close()
    n = max(1, pairs)
    report = {
        "pairs": pairs,
        **{f"consistent_{m}": round(same[m][0] / n, 4) for m in modes},
        **{f"consistent_raw_{m}": round(same[m][1] / n, 4) for m in modes},
        **{f"exact_{m}": round(right[m] / n, 4) for m in ("alone", *modes)},
        "review_right": flags[True],
        "review_wrong": flags[False],
        "flag_rate_right": round(flags[True][0] / max(1, flags[True][1]), 3),
        "flag_rate_wrong": round(flags[False][0] / max(1, flags[False][1]), 3),
        "separately_checked": separate[0],
        "separately_same": separate[1],
        "llm_s_full_queries": round(llm_s["full"], 2),
        "llm_s_each_alone": round(llm_s["alone"], 2),
        "differing": differing,
    }
    out.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    md = [f"# Consistency: {pairs} (document, field) pairs, each field asked alone and in the full query", ""]
    for m in modes:
        md.append(
            f"- full query, {m}: same value as alone {report[f'consistent_{m}']:.1%} (the model's own answer, "
            f"before the value rules: {report[f'consistent_raw_{m}']:.1%}); exact match {report[f'exact_{m}']:.1%}"
        )
    md.append(
        f"- each field alone: exact match {report['exact_alone']:.1%}; asked in a separate extraction, "
        f"{separate[1]} of {separate[0]} pairs gave the same value as the shared-pass per-field answer"
    )
    md.append(
        f"- review flag (per-field answers): {report['flag_rate_wrong']:.0%} of {flags[False][1]} wrong values, "
        f"{report['flag_rate_right']:.0%} of {flags[True][1]} right ones"
    )
    md.append(
        f"- LLM time: full queries {report['llm_s_full_queries']} s (per field, with the joint decoding), "
        f"the separate single-field extractions {report['llm_s_each_alone']} s"
    )
    for m in modes:
        md += ["", f"## differing, {m}", "", "| document | field | full query | alone |", "|---|---|---|---|"]
        md += [f"| {d['image']} | {d['field']} | {d['full']} | {d['alone']} |" for d in differing[m]]
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md[:7]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
