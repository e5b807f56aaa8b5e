"""How often needs_review marks wrong vs right values on the real dev documents (a wrong value must
be flagged more often than a right one). Uses the eval OCR cache; default model.

    python -m bench.review_rates
"""

import hashlib
import json
import pathlib

from chatocr.evaluation.normalize import values_equal
from llm_stage import FieldQuery, get_backend
from llm_stage.extract import extract
from ocr_stage import OcrResult
from ocr_stage.engines.rapid import CACHE_NAME as RAPID_CACHE_NAME

b = get_backend("transformers")
flag = {True: [0, 0], False: [0, 0]}  # right/wrong -> [flagged, total]
for ds in ("sroie_receipts", "vat_invoices"):
    for line in open(f"../shared/data/dev/{ds}/labels.jsonl"):
        lab = json.loads(line)
        img = pathlib.Path(f"../shared/data/dev/{ds}") / lab["image"]
        ocr = OcrResult.model_validate_json(
            (
                pathlib.Path("reports/cache/ocr")
                / f"{hashlib.sha1(img.read_bytes()).hexdigest()}-{RAPID_CACHE_NAME}.json"
            ).read_text()
        )
        ex = extract(ocr, FieldQuery(fields=list(lab["fields"])), b)
        for k, fv in ex.fields.items():
            ok = values_equal(k, fv.value, lab["fields"].get(k))
            flag[ok][0] += fv.needs_review
            flag[ok][1] += 1
print(
    json.dumps(
        {
            "right": flag[True],
            "wrong": flag[False],
            "flag_rate_right": round(flag[True][0] / max(1, flag[True][1]), 3),
            "flag_rate_wrong": round(flag[False][0] / max(1, flag[False][1]), 3),
        }
    )
)
