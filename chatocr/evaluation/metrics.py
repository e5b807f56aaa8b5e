"""Scores for one field of one document, and their aggregation over a run.

Counting rule (per field, per document):
- gold present, prediction equal          -> TP
- gold present, prediction null           -> FN
- gold absent (null), prediction not null -> FP
- gold present, prediction different      -> FP and FN
- both null                               -> nothing (a correct abstention; still an exact match)

A line-items field is not one of these values: it is scored by its records (`score_items`, below)
and kept out of the per-field and overall counts, so they are those of the scalar fields alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from .normalize import canon, canon_value, is_null, match_form, values_equal

_is_null = is_null


def cer(pred: str | None, gold: str | None) -> float | None:
    """Character error rate of `pred` against `gold` on the width/case/space-folded strings.

    None when the gold value is absent (nothing to read); 1.0 for a null prediction of a present value.
    Can exceed 1.0 when the prediction is much longer than the gold value.
    """
    if _is_null(gold):
        return None
    g = canon(gold)
    if not g:
        return None
    p = canon(pred) if not _is_null(pred) else ""
    return Levenshtein.distance(p, g) / len(g)


@dataclass
class FieldScore:
    """The score of one predicted value against its label."""

    exact: bool
    tp: int
    fp: int
    fn: int
    cer: float | None

    def to_dict(self) -> dict:
        return {"exact": self.exact, "tp": self.tp, "fp": self.fp, "fn": self.fn, "cer": self.cer}


def score_value(field: str, pred, gold) -> FieldScore:
    """Score one predicted value of `field` against its label (either may be None)."""
    pred = None if _is_null(pred) or match_form(field, pred) is None else str(pred)
    gold = None if _is_null(gold) else str(gold)
    exact = values_equal(field, pred, gold)
    if gold is None:
        tp, fp, fn = 0, int(pred is not None), 0
    elif pred is None:
        tp, fp, fn = 0, 0, 1
    elif exact:
        tp, fp, fn = 1, 0, 0
    else:
        tp, fp, fn = 0, 1, 1
    return FieldScore(exact=exact, tp=tp, fp=fp, fn=fn, cer=cer(pred, gold))


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1. With nothing predicted P is 1.0 only when nothing was there to find
    (a correct abstention), else 0.0; likewise R is 1.0 with nothing to find only if nothing was predicted."""
    p = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    r = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class FieldStats:
    """Counts for one field (or for all fields together) over a run."""

    n: int = 0
    exact: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    cer_sum: float = 0.0
    cer_n: int = 0
    ground_n: int = 0
    grounded: int = 0
    gold_present: int = 0
    in_ocr: int = 0

    def add(self, s: FieldScore, *, predicted: bool, grounded: bool | None, in_ocr: bool | None) -> None:
        self.n += 1
        self.exact += int(s.exact)
        self.tp, self.fp, self.fn = self.tp + s.tp, self.fp + s.fp, self.fn + s.fn
        if s.cer is not None:
            self.cer_sum += min(s.cer, 1.0)  # cap so one runaway answer does not swamp the mean
            self.cer_n += 1
        if predicted and grounded is not None:  # methods without grounding report None
            self.ground_n += 1
            self.grounded += int(bool(grounded))
        if in_ocr is not None:
            self.gold_present += 1
            self.in_ocr += int(in_ocr)

    def summary(self) -> dict:
        p, r, f = prf(self.tp, self.fp, self.fn)
        return {
            "n": self.n,
            "exact_match": self.exact / self.n if self.n else None,
            "precision": p,
            "recall": r,
            "f1": f,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "cer": self.cer_sum / self.cer_n if self.cer_n else None,
            "grounded_share": self.grounded / self.ground_n if self.ground_n else None,
            "ocr_ceiling": self.in_ocr / self.gold_present if self.gold_present else None,
        }


@dataclass
class RunStats:
    """Per-field and overall statistics of a run, built from per-document records."""

    fields: dict[str, FieldStats] = field(default_factory=dict)
    overall: FieldStats = field(default_factory=FieldStats)
    ocr_s: list[float] = field(default_factory=list)
    llm_s: list[float] = field(default_factory=list)
    errors: int = 0
    items: dict[str, ItemStats] = field(default_factory=dict)  # line-items fields, scored apart
    doc_types: dict[str, FieldStats] = field(default_factory=dict)  # every field of a document type

    def add_document(self, rec: dict) -> None:
        """`rec` is a per-document record as the runner writes it (see runner.score_document)."""
        for name, f in rec["fields"].items():
            s = FieldScore(**{k: f[k] for k in ("exact", "tp", "fp", "fn", "cer")})
            pred = f.get("pred")
            kw = {"predicted": not _is_null(pred), "grounded": f.get("grounded"), "in_ocr": f.get("in_ocr")}
            self.fields.setdefault(name, FieldStats()).add(s, **kw)
            self.doc_types.setdefault(rec.get("doc_type") or "document", FieldStats()).add(s, **kw)
            self.overall.add(s, **kw)
        for name, it in (rec.get("items") or {}).items():
            self.items.setdefault(name, ItemStats()).add(it)
        t = rec.get("timings", {})
        self.ocr_s.append(float(t.get("ocr_s", 0.0)))
        self.llm_s.append(float(t.get("llm_s", 0.0)))
        self.errors += int(bool(rec.get("error")))

    def summary(self) -> dict:
        n = len(self.ocr_s)

        def mean(xs):
            return sum(xs) / len(xs) if xs else None

        out = {
            "documents": n,
            "errors": self.errors,
            "overall": self.overall.summary(),
            "fields": {k: v.summary() for k, v in self.fields.items()},
            "seconds_per_doc": {
                "ocr": mean(self.ocr_s),
                "llm": mean(self.llm_s),
                "total": mean([a + b for a, b in zip(self.ocr_s, self.llm_s, strict=True)]),
            },
        }
        if len(self.doc_types) > 1:  # a set of several document types (a generated test split)
            out["doc_types"] = {k: v.summary() for k, v in sorted(self.doc_types.items())}
        if self.items:  # only runs that asked a line-items field carry the key
            out["items"] = {k: v.summary() for k, v in self.items.items()}
        return out


def rescore(records: list[dict]) -> list[dict]:
    """Recompute each field's score from its stored gold/pred (after a normaliser change)."""
    for rec in records:
        for name, f in rec["fields"].items():
            f.update(score_value(name, f["pred"], f["gold"]).to_dict())
        for it in (rec.get("items") or {}).values():
            it.update(score_items(it["pred"], it["gold"]))
    return records


def summarize(records: list[dict]) -> dict:
    st = RunStats()
    for r in records:
        st.add_document(r)
    return st.summary()


def value_in_ocr(field: str, gold, ocr, index=None) -> bool | None:
    """Whether a labelled value occurs in the OCR text at all (the OCR ceiling for that value).

    Normalised containment (width/case/punctuation folded, spaces and a currency mark dropped) in the
    reading-order or engine-order text, or a non-fuzzy grounding match (`best_line_match` score of at
    least 0.95: the same amount or date printed in another form counts). None for an absent label.
    `index` is an `llm_stage.grounding.OcrIndex` of `ocr`, to reuse across the fields of a document.
    """
    from llm_stage.grounding import SCORE_SEMANTIC, OcrIndex, best_line_match

    if _is_null(gold):
        return None
    g = canon_value(gold)
    if g and any(g in canon(t) for t in (str(ocr.to_text()), ocr.to_plain_text())):
        return True
    m = best_line_match(index or OcrIndex(ocr), str(gold))
    return m is not None and m.score >= SCORE_SEMANTIC - 1e-9


# ------------------------------------------------------------------------------------- line items
#
# A line-items field (`llm_stage.items.is_items_field`) is scored as a set of records, never as a
# string: a predicted record is right when its description (whitespace collapsed, case folded) and
# its amount (`normalize_amount`; null equals null) equal those of a gold record. Matching is one to
# one, greedy in page order: each predicted record takes the first unmatched gold record with the
# same key. As "right" is an equality of keys, greedy matching finds as many pairs as an optimal one.

ITEM_SUBFIELDS = ("quantity", "unit", "unit_price", "amount", "tax_rate", "tax")
_NUMBER_CELLS = ("quantity", "unit_price", "amount", "tax")


def _fold_text(v) -> str | None:
    """Whitespace collapsed and case folded; None for a null or blank cell."""
    if _is_null(v):
        return None
    return " ".join(str(v).split()).casefold() or None


def item_cell(key: str, v) -> str | None:
    """The comparison form of one cell: numbers through `normalize_amount` (so "1.234,50" equals
    "1234.50"), a tax rate as a fraction ("13%" equals "0.13"), other text folded. A number that
    does not parse is compared as folded text."""
    from llm_stage.items import rate_fraction
    from llm_stage.normalize import normalize_amount

    text = _fold_text(v)
    if text is None:
        return None
    if key in _NUMBER_CELLS:
        return normalize_amount(str(v)) or text
    if key == "tax_rate":
        r = rate_fraction(str(v))
        return text if r is None else str(r.normalize())
    return text


def item_key(rec: dict) -> tuple[str | None, str | None]:
    """What makes a predicted record right: its description and amount in comparison form."""
    return _fold_text(rec.get("description")), item_cell("amount", rec.get("amount"))


def match_items(pred: list[dict], gold: list[dict]) -> list[tuple[int, int]]:
    """One-to-one (pred index, gold index) pairs of records with equal `item_key`, greedy in page
    order; a record with neither description nor amount matches nothing."""
    free: dict[tuple, list[int]] = {}
    for gi, g in enumerate(gold):
        free.setdefault(item_key(g), []).append(gi)
    pairs = []
    for pi, p in enumerate(pred):
        k = item_key(p)
        if k == (None, None):
            continue
        if free.get(k):
            pairs.append((pi, free[k].pop(0)))
    return pairs


def score_items(pred: list[dict] | None, gold: list[dict] | None) -> dict:
    """The score of one document's line items (records with ITEM_KEYS; `pred` None: no list was
    answered, counted as no records). `gold` None: the document is not labelled for items; its
    prediction is still checked by arithmetic but it adds nothing to the other item metrics.

    Returns tp (matched records), fp (unmatched predicted), fn (unmatched gold), count_ok (as many
    records as the gold list), per sub-field [right, matched, right where gold prints the cell,
    matched where gold prints it], and (passed, records) of the arithmetic checks of the prediction.
    """
    preds = list(pred or [])
    passed, checked = item_checks(preds)
    out: dict = {"labelled": gold is not None, "checks_passed": passed, "checked": checked}
    if gold is None:
        return out
    pairs = match_items(preds, gold)
    sub = {}
    for key in ITEM_SUBFIELDS:
        right = n_lab = right_lab = 0
        for pi, gi in pairs:
            g = item_cell(key, gold[gi].get(key))
            ok = item_cell(key, preds[pi].get(key)) == g
            right += ok
            if g is not None:
                n_lab += 1
                right_lab += ok
        sub[key] = [right, len(pairs), right_lab, n_lab]
    out.update(
        tp=len(pairs),
        fp=len(preds) - len(pairs),
        fn=len(gold) - len(pairs),
        count_ok=len(preds) == len(gold),
        pairs=[list(p) for p in pairs],
        subfields=sub,
    )
    return out


def item_checks(records: list[dict]) -> tuple[int, int]:
    """(records passing their arithmetic checks, records) of a predicted list, by the pipeline's own
    checks (`llm_stage.items.check_items`, quantity × unit price = amount, amount × rate = tax)."""
    from llm_stage.items import check_items, item_check_rate
    from llm_stage.types import ITEM_KEYS, FieldValue, ItemRecord

    if not records:
        return 0, 0
    recs = [
        ItemRecord(
            cells={k: FieldValue(value=None if _is_null(r.get(k)) else str(r.get(k))) for k in ITEM_KEYS}
        )
        for r in records
    ]
    fields = {"line items": FieldValue(value=[r.values() for r in recs], items=recs)}
    check_items(fields)
    return item_check_rate(fields)


@dataclass
class ItemStats:
    """Item metrics of one line-items field (or of all together) over a run."""

    documents: int = 0  # labelled documents
    count_ok: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    sub: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0, 0, 0] for k in ITEM_SUBFIELDS})
    checks_passed: int = 0
    checked: int = 0

    def add(self, s: dict) -> None:
        self.checks_passed += s["checks_passed"]
        self.checked += s["checked"]
        if not s["labelled"]:
            return
        self.documents += 1
        self.count_ok += int(s["count_ok"])
        self.tp, self.fp, self.fn = self.tp + s["tp"], self.fp + s["fp"], self.fn + s["fn"]
        for k, v in s["subfields"].items():
            self.sub[k] = [a + b for a, b in zip(self.sub[k], v, strict=True)]

    def summary(self) -> dict:
        p, r, f = prf(self.tp, self.fp, self.fn)
        return {
            "documents": self.documents,
            "gold_records": self.tp + self.fn,
            "predicted_records": self.tp + self.fp,
            "precision": p,
            "recall": r,
            "f1": f,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "count_accuracy": self.count_ok / self.documents if self.documents else None,
            "subfields": {
                k: {
                    "matched": n,
                    "accuracy": right / n if n else None,
                    "labelled": n_lab,
                    "labelled_accuracy": right_lab / n_lab if n_lab else None,
                }
                for k, (right, n, right_lab, n_lab) in self.sub.items()
            },
            "check_rate": self.checks_passed / self.checked if self.checked else None,
            "checked_records": self.checked,
        }
