"""How much of what a labelled set asks for the OCR reads verbatim, per engine setting: for every
labelled value, whether it occurs in the OCR text exactly (case and spaces aside) and how many
characters it is away from its closest span there (semi-global edit distance). This is the ceiling
an extractive LLM stage works under, stricter than `chatocr eval`'s ocr_ceiling (which also counts a
value printed in another form). No cache: every image is OCRed with each setting.

    python -m bench.ocr_verbatim [SET ...] [--unclip 1.6,1.8]

SET defaults to the dev slices (../shared/data/dev/*). Prints one row per set and setting and
writes bench/reports/ocr_verbatim.json.
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


def fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).upper())


def distance_to_closest_span(value: str, text: str) -> int:
    """Edit distance from `value` to its best-matching substring of `text` (Sellers' algorithm)."""
    prev = [0] * (len(text) + 1)
    for i, c in enumerate(value, 1):
        cur = [i] + [0] * len(text)
        for j, d in enumerate(text, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (c != d))
        prev = cur
    return min(prev)


def measure(folder: Path, engine) -> dict:
    from chatocr.evaluation.dataset import load_dataset
    from ocr_stage.inputs import load_document

    ds = load_dataset(folder)
    exact = total = edits = 0
    seconds = 0.0
    for doc in tqdm(ds.docs, desc=folder.name, unit="doc", disable=not sys.stderr.isatty()):
        pages = load_document(doc.path)
        t0 = time.perf_counter()
        res = engine.run(pages)
        seconds += time.perf_counter() - t0
        text = fold(res.to_text()) + "|" + fold(res.to_plain_text())
        for value in doc.fields.values():
            if value is None:
                continue
            d = distance_to_closest_span(fold(value), text)
            total += 1
            exact += d == 0
            edits += d
    return {
        "set": folder.name,
        "values": total,
        "verbatim": exact,
        "edits": edits,
        "ocr_s": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="*", type=Path, help="labelled folders (img/ + labels.jsonl)")
    ap.add_argument("--unclip", default="1.6,1.8", help="rapid engine unclip ratios to compare")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "reports" / "ocr_verbatim.json")
    a = ap.parse_args(argv)
    sets = a.sets or sorted(p for p in DEV_DIR.iterdir() if (p / "labels.jsonl").is_file())
    if not sets:
        ap.error(f"no labelled sets given and none under {DEV_DIR}")
    from ocr_stage.engines.rapid import RapidEngine

    rows = []
    for ratio in (float(x) for x in a.unclip.split(",")):
        engine = RapidEngine(unclip_ratio=ratio)
        for folder in sets:
            r = {"unclip_ratio": ratio, **measure(folder, engine)}
            rows.append(r)
            print(
                f"unclip {ratio:<4g} {r['set']:<22} verbatim {r['verbatim']:>4}/{r['values']:<4} "
                f"edits {r['edits']:>4}  OCR {r['ocr_s']:.1f} s",
                flush=True,
            )
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"report: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
