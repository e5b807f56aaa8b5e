"""What per-field decoding costs: LLM seconds per dev document for the whole query decoded as one
JSON object (joint), per field over the shared document pass, and per field with the joint second
opinion (the default), alternating the three on each document so that they share the machine's
load. Prints the totals and the ratios to joint.

    python -m bench.per_field_speed [--data /work/shared/data/dev] [--limit N] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.consistency import DEV, dev_documents


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEV))
    ap.add_argument("--limit", type=int, default=3, help="documents per set")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)

    from chatocr import Pipeline, Settings
    from chatocr.evaluation.runner import OcrCache
    from llm_stage import FieldQuery
    from llm_stage.extract import extract

    pipeline = Pipeline.from_settings(Settings(llm_threads=a.threads), load_llm=True)
    backend = pipeline.backend
    cache = OcrCache()
    modes = {"joint": (False, False), "per_field": (True, False), "per_field+agreement": (True, True)}
    secs = dict.fromkeys(modes, 0.0)
    for _ds, img, labels in dev_documents(Path(a.data), a.limit):
        ocr, _ = cache.get(img, pipeline)
        for m, (per_field, agreement) in modes.items():
            backend.options.agreement = agreement
            t0 = time.perf_counter()
            extract(ocr, FieldQuery(fields=list(labels)), backend, per_field=per_field)
            secs[m] += time.perf_counter() - t0
    backend.options.agreement = True
    out = {m: round(s, 2) for m, s in secs.items()}
    out.update({f"{m}/joint": round(secs[m] / max(1e-9, secs["joint"]), 3) for m in modes if m != "joint"})
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
