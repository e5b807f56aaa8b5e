"""Absent means null: each dev document is asked for 5 fields it does not print (chosen from
CANDIDATES by the absence of their label on the page), and a blank page is asked in every mode
(a field query, a question, `copy=false`). Counts the nulls; writes reports/absent_fields.{json,md}.

    python -m bench.absent_fields [--data /work/shared/data/dev] [--limit N]

Uses the eval's OCR cache (reports/cache/ocr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import regex

from bench.consistency import DEV, dev_documents

# (field asked, what on the page would show the document prints it); in the order they are tried
CANDIDATES = [
    ("phone number", r"(?i)\btel\b|tel[.:]|phone|电话|手机|h/p"),
    ("email", r"@|(?i)e-?mail"),
    ("invoice number", r"(?i)invoice|\binv\b|发票"),
    ("GST ID", r"(?i)gst|sst|税号|纳税人识别号"),
    ("IBAN", r"(?i)iban"),
    ("order number", r"(?i)order|订单"),
    ("fax number", r"(?i)fax|传真"),
    ("website", r"(?i)www|http|\.com|网址"),
    ("due date", r"(?i)\bdue\b|到期"),
    ("机器编号", r"机器编号"),
    ("customer number", r"(?i)customer|cust|客户|会员|member"),
]


def absent_fields(text: str, n: int = 5) -> list[str]:
    """The first `n` candidate fields whose label the page does not print."""
    return [name for name, seen in CANDIDATES if not regex.search(seen, text)][:n]


def blank_page():
    """A white A4-ish page as an image file's bytes (what a scanner gives for an empty sheet)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1240, 1754), "white").save(buf, format="PNG")
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEV))
    ap.add_argument("--limit", type=int, default=None, help="documents per set")
    ap.add_argument("--sets", default=None, help="comma-separated set folders (default: all)")
    ap.add_argument("--no-blank", action="store_true", help="skip the blank page")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--out", default="reports/absent_fields")
    a = ap.parse_args(argv)

    from chatocr import Pipeline, Settings
    from chatocr.evaluation.runner import OcrCache

    pipeline = Pipeline.from_settings(Settings(llm_threads=a.threads), load_llm=True)
    cache = OcrCache()
    asked = nulls = 0
    filled = []
    for _ds, img, _labels in dev_documents(Path(a.data), a.limit, a.sets.split(",") if a.sets else None):
        ocr, _ = cache.get(img, pipeline)
        keys = absent_fields(ocr.to_text())
        ex = pipeline.extract_from_ocr(ocr, keys)
        for k in keys:
            asked += 1
            v = ex.fields[k].value
            nulls += v is None
            if v is not None:
                filled.append({"image": img.name, "field": k, "value": v, "raw": ex.raw_output})
        mine = {f["field"]: f["value"] for f in filled if f["image"] == img.name}
        print(
            f"{img.name}: {len(mine)} of {len(keys)} filled {json.dumps(mine, ensure_ascii=False)}",
            file=sys.stderr,
        )
    blank = pipeline.ocr(blank_page(), name="blank.png")
    modes = (
        {}
        if a.no_blank
        else {
            "fields": pipeline.extract_from_ocr(blank, ["total", "date", "company"]),
            "question": pipeline.extract_from_ocr(blank, {"question": "What is the total amount?"}),
            "copy=false": pipeline.extract_from_ocr(blank, ["total", "date", "company"], copy=False),
        }
    )
    blank_ok = {m: all(fv.value is None for fv in ex.fields.values()) for m, ex in modes.items()}
    report = {
        "asked": asked,
        "null": nulls,
        "null_rate": round(nulls / max(1, asked), 4),
        "blank_page_null": blank_ok,
        "blank_page_answers": {m: ex.values() for m, ex in modes.items()},
        "filled": filled,
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    md = [
        f"# Absent fields: {nulls} of {asked} answered null ({report['null_rate']:.1%})",
        "",
        "Blank page, every value null: "
        + ", ".join(f"{m} {'yes' if ok else 'no'}" for m, ok in blank_ok.items()),
        "",
        "| document | field | value |",
        "|---|---|---|",
        *[f"| {f['image']} | {f['field']} | {f['value']} |" for f in filled],
    ]
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
