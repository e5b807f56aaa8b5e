"""How much of what a labelled set asks for the OCR reads verbatim, per engine setting: for every
labelled value, whether it occurs in the OCR text exactly (case and spaces aside), how many
characters it is away from its closest span there (semi-global edit distance), the character error
rate per field (those edits over the value's characters), and, for values printed over several rows
(an address), whether `OcrResult.to_text()` gives those rows in print order and next to each other.
This is the ceiling an extractive LLM stage works under, stricter than `chatocr eval`'s ocr_ceiling
(which also counts a value printed in another form). No cache: every image is OCRed with each
setting (`--keep DIR` writes the results, `--reuse DIR` reads them back to re-score a rendering).

    python -m bench.ocr_verbatim [SET ...] [--setting rec_model=v5-mobile] [--setting ...]

Each --setting is a comma list of RapidEngine options (key=value); none: the defaults. SET defaults
to the dev slices (../shared/data/dev/*). Prints one row per set and setting (verbatim count, edits,
rows in order, seconds per page) and the CER per field, and writes bench/reports/ocr_verbatim.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
DEV_DIR = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
# An OCR line counts as one row of a labelled value when its text sits in the value with at most
# this share of its characters wrong, and has at least MIN_ROW_CHARS characters (shorter boxes, a
# lone "NO." or ",", sit anywhere). A value is multi-row when at least two lines, covering at least
# MIN_COVER of its characters, are found in it.
ROW_MAX_ERR = 0.2
MIN_ROW_CHARS = 4
MIN_COVER = 0.5


def fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).upper())


def closest_span(value: str, text: str) -> tuple[int, int]:
    """(edit distance, end index) of `value`'s best-matching substring of `text` (Sellers' algorithm)."""
    prev = [0] * (len(text) + 1)
    for i, c in enumerate(value, 1):
        cur = [i] + [0] * len(text)
        for j, d in enumerate(text, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (c != d))
        prev = cur
    best = min(prev)
    return best, prev.index(best)


def distance_to_closest_span(value: str, text: str) -> int:
    """Edit distance from `value` to its best-matching substring of `text`."""
    return closest_span(value, text)[0]


def value_rows(value: str, lines: list[tuple[int, str]]) -> list[tuple[int, int, int]] | None:
    """The OCR lines that are rows of the folded `value`, as (start in value, end in value, key) in
    value (print) order; None when the value is not found as two or more rows."""
    found = []
    for key, text in lines:
        t = fold(text)
        if len(t) < MIN_ROW_CHARS or len(t) > len(value):
            continue
        at = value.find(t)
        if at >= 0:
            found.append((at, at + len(t), key, 0))
            continue
        d, end = closest_span(t, value)
        if d <= ROW_MAX_ERR * len(t):
            found.append((max(0, end - len(t)), end, key, d))
    # a text printed twice (a logo repeating a word of the address) matches twice: keep the line
    # that covers most of the value, exact characters counted, for each stretch of it
    rows: list[tuple[int, int, int]] = []
    for s, e, key, _ in sorted(found, key=lambda r: -(r[1] - r[0] - 2 * r[3])):
        if all(min(e, e2) - max(s, s2) <= 0.5 * min(e - s, e2 - s2) for s2, e2, _ in rows):
            rows.append((s, e, key))
    if len(rows) < 2 or sum(e - s for s, e, _ in rows) < MIN_COVER * len(value):
        return None
    return sorted(rows)


def row_order(value: str, result) -> dict | None:
    """Whether a multi-row value's rows come in print order (`in_order`) and with nothing between
    them (`together`) in `result.to_text()`; None for a value not found as several rows."""
    rendered = result.to_text()
    keyed = [((p, i), ln.text) for p, i, ln in result.iter_lines()]
    index = {k: n for n, (k, _) in enumerate(keyed)}
    rows = value_rows(fold(value), [(index[k], t) for k, t in keyed])
    if rows is None:
        return None
    by_line = {index[(s.page, s.line)]: n for n, s in enumerate(rendered.spans)}
    at = [by_line[key] for _, _, key in rows]
    in_order = at == sorted(at)
    together = in_order and at[-1] - at[0] == len(at) - 1
    return {"in_order": in_order, "together": together}


def labelled_values(fields: dict) -> list[tuple[str, str]]:
    """(field, value) for every labelled string; a list field (line items) counts each printed cell
    as a value of its own, named `field.key` (a row's `description`: `items.description`)."""
    out: list[tuple[str, str]] = []
    for name, value in fields.items():
        if isinstance(value, str) and value.startswith("[{"):  # load_dataset keeps lists as JSON
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, list):
            for row in value:
                cells = row.items() if isinstance(row, dict) else [("", row)]
                out += [(f"{name}.{k}" if k else name, str(v)) for k, v in cells if v not in (None, "")]
        elif value is not None and str(value) != "":
            out.append((name, str(value)))
    return out


def measure(folder: Path, engine, keep: Path | None = None, reuse: Path | None = None) -> dict:
    from chatocr.evaluation.dataset import load_dataset
    from ocr_stage import OcrResult
    from ocr_stage.inputs import load_document

    ds = load_dataset(folder)
    exact = total = edits = pages = multi = in_order = together = 0
    per_field: dict[str, list[int]] = {}
    out_of_order: list[str] = []
    seconds = 0.0
    for doc in tqdm(ds.docs, desc=folder.name, unit="doc", disable=not sys.stderr.isatty()):
        stored = (
            (reuse or keep or Path()) / folder.parent.name / folder.name / (Path(doc.image).stem + ".json")
        )
        if reuse is not None:
            res = OcrResult.model_validate_json(stored.read_text(encoding="utf-8"))
            seconds += res.timings.get("ocr_s", 0.0)
        else:
            doc_pages = load_document(doc.path)
            t0 = time.perf_counter()
            res = engine.run(doc_pages)
            seconds += time.perf_counter() - t0
            if keep is not None:
                stored.parent.mkdir(parents=True, exist_ok=True)
                stored.write_text(res.model_dump_json(), encoding="utf-8")
        pages += len(res.pages)
        text = fold(res.to_text()) + "|" + fold(res.to_plain_text())
        for name, value in labelled_values(doc.fields):
            d = distance_to_closest_span(fold(value), text)
            total += 1
            exact += d == 0
            edits += d
            f = per_field.setdefault(name, [0, 0, 0, 0])
            f[0] += d
            f[1] += len(fold(value))
            f[2] += d == 0
            f[3] += 1
            order = row_order(value, res)
            if order is not None:
                multi += 1
                in_order += order["in_order"]
                together += order["together"]
                if not order["together"]:
                    out_of_order.append(f"{doc.image} {name}")
    return {
        "set": folder.name,
        "values": total,
        "verbatim": exact,
        "edits": edits,
        "multi_row": multi,
        "rows_in_order": in_order,
        "rows_together": together,
        "rows_apart": out_of_order,
        "cer": {k: round(v[0] / max(1, v[1]), 4) for k, v in per_field.items()},
        "verbatim_by_field": {k: f"{v[2]}/{v[3]}" for k, v in per_field.items()},
        "pages": pages,
        "ocr_s": round(seconds, 1),
        "s_per_page": round(seconds / max(1, pages), 2),
    }


def parse_setting(spec: str) -> dict:
    """'rec_model=v6-tiny,unclip_ratio=1.6' -> options, numbers as numbers."""
    opts: dict = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, _, raw = part.partition("=")
        raw = raw.strip()
        opts[key.strip()] = float(raw) if re.fullmatch(r"-?\d+(\.\d*)?", raw) else raw
    return opts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="*", type=Path, help="labelled folders (img/ + labels.jsonl)")
    ap.add_argument(
        "--setting",
        action="append",
        default=None,
        help="RapidEngine options to compare, e.g. 'unclip_ratio=1.6' (repeat; default: the defaults)",
    )
    ap.add_argument("--keep", type=Path, help="write each OcrResult as JSON under this folder")
    ap.add_argument("--reuse", type=Path, help="score OcrResults written by --keep instead of OCRing")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "reports" / "ocr_verbatim.json")
    a = ap.parse_args(argv)
    sets = a.sets or sorted(p for p in DEV_DIR.iterdir() if (p / "labels.jsonl").is_file())
    if not sets:
        ap.error(f"no labelled sets given and none under {DEV_DIR}")
    from ocr_stage.engines.rapid import RapidEngine

    rows = []
    for spec in a.setting or [""]:
        opts = parse_setting(spec)
        engine = None if a.reuse else RapidEngine(**opts)
        name = engine.cache_name if engine is not None else f"reused {a.reuse}"
        for folder in sets:
            keep = a.keep / name if a.keep else None
            r = {"setting": spec or "default", "cache_name": name, **measure(folder, engine, keep, a.reuse)}
            rows.append(r)
            print(
                f"{r['setting']:<28} {r['set']:<22} verbatim {r['verbatim']:>4}/{r['values']:<4} "
                f"edits {r['edits']:>4}  rows in order {r['rows_in_order']}/{r['multi_row']} "
                f"together {r['rows_together']}/{r['multi_row']}  {r['s_per_page']:.2f} s/page",
                flush=True,
            )
            print(
                "    CER "
                + "  ".join(f"{k} {v:.2%} ({r['verbatim_by_field'][k]})" for k, v in r["cer"].items())
            )
            if r["rows_apart"]:
                print("    rows apart: " + "; ".join(r["rows_apart"]))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"report: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
