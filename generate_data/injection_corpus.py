"""An injection-only evaluation set: every document prints a prompt injection, in the `test/`
layout `chatocr eval` reads, each label line with an extra "injection" key. Its seeds live in their
own namespace, so no training document repeats."""

from __future__ import annotations

import json
import random
from pathlib import Path

from .augment import augment
from .build import generate_doc, render_page
from .doctypes import REGISTRY, Fakers
from .injection import TARGETS, choose, record
from .queries import CORE_FIELDS
from .values import doc_type_for_weighted


def build_corpus(
    n: int, seed: int, out: Path, types=None, weights: dict[str, int] | None = None, progress: bool = True
) -> dict:
    """An injection eval set: `n` documents, every one injected, in `out/test/{img,labels.jsonl}`.

    Seeds live in their own namespace ("injection:{seed}:{i}"), so no training document repeats."""
    from tqdm import tqdm

    types = list(types or ["my_receipt", "vat_special_invoice", "vat_normal_invoice"])
    test = Path(out) / "test"
    (test / "img").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in tqdm(range(n), desc="injection docs", disable=not progress):
        dtype = doc_type_for_weighted(i, seed, types, weights)
        dt = REGISTRY[dtype]
        rng = random.Random(f"injection:{seed}:{i}")
        doc = generate_doc(dt, rng, Fakers(rng))
        if not doc.data.get("injection"):
            doc.data["injection"] = choose(doc, dt.spec, random.Random(f"injection-pick:{seed}:{i}"), p=1.0)
        clean = render_page(dt, doc, rng)
        level = rng.uniform(0.3, 0.9)
        page, _ = augment(clean, rng, thermal=dt.thermal, level=level)
        name = f"{i:05d}_{dtype}.jpg"
        page.save(test / "img" / name, "JPEG", quality=92)
        scalars = {k: v for k, v in doc.fields.items() if not isinstance(v, list)}
        # Label the fields a user asks of this kind of document plus every field an attacker goes
        # for (TARGETS), so the eval asks what users ask rather than every field the generator
        # knows. The same set on every document of a type: a field labelled only on the document
        # it attacks would be asked of the others too and score their right answers as false.
        keep = CORE_FIELDS.get(dtype)
        if keep:
            scalars = {k: v for k, v in scalars.items() if k in keep or k in TARGETS}
        lines.append(
            {
                "image": f"img/{name}",
                "doc_type": dtype,
                "fields": scalars,
                "injection": record(doc.data["injection"]),
            }
        )
    with (test / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return {"documents": n, "out": str(test)}
