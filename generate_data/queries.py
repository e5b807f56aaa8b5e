"""Query sampling: which fields a training sample asks for, by which names, and the target answer.

Mixes: multi-field lists in shuffled order by canonical names or aliases (Chinese and English),
fields the document lacks (target null), single fields, natural-language questions (key "answer"),
and a share of queries asking for line items."""

from __future__ import annotations

import random

from llm_stage.types import FieldQuery

from .doctypes.base import Doc, DocType
from .fields import CONCEPTS, TypeSpec


def _names_for(key: str, concept: str, lang: str, rng: random.Random) -> str:
    c = CONCEPTS[concept]
    if rng.random() < 0.45:
        return key
    other = c.en if lang == "zh" else c.zh
    own = c.zh if lang == "zh" else c.en
    pool = list(own) if (rng.random() < 0.7 or not other) else list(other)
    return rng.choice(pool or [key])


def _absent_names(ts: TypeSpec, doc: Doc, taken: set[str]) -> list[tuple[str, str]]:
    """(name, concept) pairs this document does not contain: other concepts, or its own unprinted fields."""
    own_names = {
        n.lower() for f in ts.fields for n in (f.key, *CONCEPTS[f.concept].zh, *CONCEPTS[f.concept].en)
    }
    out = []
    for cid, c in CONCEPTS.items():
        if cid in ts.concepts:
            continue
        for n in (*c.zh, *c.en):
            if n.lower() not in own_names and n not in taken:
                out.append((n, cid))
    printed = {f.concept for f in ts.fields if f.key in doc.fields}
    for f in ts.fields:  # optional fields this instance did not print (no phone, no rounding line)
        if f.key not in doc.fields:
            out.append((f.key, f.concept))
            if f.concept not in printed:  # and by its other names, where no printed field shares them
                c = CONCEPTS[f.concept]
                out += [(n, f.concept) for n in (*c.zh, *c.en) if n not in taken and n != f.key]
    return out


def _absent_pick(ts: TypeSpec, pool, rng: random.Random, k: int):
    """`k` absent names, most often the type's own fields this document lacks (a phone or a receipt
    number on a receipt without one): those are the absent fields a real page tempts a model to fill."""
    own = [p for p in pool if p[1] in ts.concepts]
    src = own if own and rng.random() < 0.6 else _absent_for_lang(pool, ts.lang, rng)
    return rng.sample(src, min(len(src), k))


def _absent_for_lang(pool, lang, rng):
    """Prefer absent names in the document's language (a Chinese invoice asked '车次')."""

    def is_zh(s):
        return any("\u4e00" <= ch <= "\u9fff" for ch in s)

    same = [p for p in pool if is_zh(p[0]) == (lang == "zh")]
    return same if same and rng.random() < 0.8 else pool


# The field names the real evaluation sets ask, per type: asked often, in their exact spelling, and
# as null where this document does not print them.
CORE_FIELDS = {
    "my_receipt": ["company", "date", "address", "total"],
    "vat_special_invoice": [
        "发票号码",
        "开票日期",
        "购买方名称",
        "购买方纳税人识别号",
        "购买方地址电话",
        "购买方开户行及账号",
        "合计金额",
        "合计税额",
        "价税合计",
        "税率",
    ],
}
CORE_FIELDS["vat_normal_invoice"] = CORE_FIELDS["vat_special_invoice"]
CORE_SHARE = 0.4
# core queries that also ask for 1-3 fields the document does not print (a phone or an invoice
# number on a receipt without one, 机器编号 on a form): their target is null, so the model learns
# that absent means null even beside the fields it is usually asked
CORE_ABSENT_SHARE = 0.5


def _core_query(ts: TypeSpec, doc: Doc, rng: random.Random) -> tuple[FieldQuery, dict]:
    keys = list(CORE_FIELDS[ts.name])
    concept = {f.key: f.concept for f in ts.fields}
    k = len(keys) if rng.random() < 0.5 else rng.randint(1, len(keys))
    chosen = rng.sample(keys, k) if rng.random() < 0.6 else keys[:k]
    answer: dict = {}
    for key in chosen:
        name = (
            key if rng.random() < 0.75 or key not in concept else _names_for(key, concept[key], ts.lang, rng)
        )
        if name in answer:
            name = key
        answer[name] = doc.fields.get(key)
    if rng.random() < CORE_ABSENT_SHARE:
        pool = _absent_names(ts, doc, set(answer))
        for name, _ in _absent_pick(ts, pool, rng, rng.choice([1, 2, 3])):
            answer.setdefault(name, None)
    query = FieldQuery(fields=list(answer))
    return query, {q: answer[q] for q in query.keys}


def make_queries(dt: DocType, doc: Doc, rng: random.Random, n: int) -> list[tuple[FieldQuery, dict]]:
    """`n` (query, answer) pairs for one document; answers are values as printed, None if absent."""
    ts = dt.spec
    present = [f for f in ts.fields if f.key in doc.fields]
    scalars = [f for f in present if not CONCEPTS[f.concept].items]
    items = [f for f in present if CONCEPTS[f.concept].items]
    out = []
    for _ in range(n):
        if ts.name in CORE_FIELDS and rng.random() < CORE_SHARE:
            out.append(_core_query(ts, doc, rng))
            continue
        r = rng.random()
        if r < 0.14:
            q = _question(ts, doc, present, rng)
            if q:
                out.append(q)
                continue
        want_items = items and r > 0.80
        if r < 0.26:
            k = 1
        else:
            k = rng.randint(2, min(8, max(2, len(scalars))))
        chosen = rng.sample(scalars, min(k, len(scalars)))
        if want_items:
            chosen = chosen[: rng.randint(0, 3)] + items
        names: list[str] = []
        answer: dict = {}
        for f in chosen:
            name = _names_for(f.key, f.concept, ts.lang, rng)
            if name in answer:
                name = f.key
            if name in answer:
                continue
            names.append(name)
            answer[name] = doc.fields[f.key]
        if rng.random() < 0.35 or not names:
            pool = _absent_names(ts, doc, set(names))
            for name, _ in _absent_pick(ts, pool, rng, rng.choice([1, 1, 2])):
                if name not in answer:
                    names.append(name)
                    answer[name] = None
        order = list(range(len(names)))
        rng.shuffle(order)
        names = [names[i] for i in order]
        query = FieldQuery(fields=names)
        out.append((query, {k: answer[k] for k in query.keys}))
    return out


def _question(ts: TypeSpec, doc: Doc, present, rng: random.Random):
    lang_pick = ts.lang if rng.random() < 0.75 else ("en" if ts.lang == "zh" else "zh")
    if rng.random() < 0.12:  # a question the document cannot answer
        cands = [
            (cid, c)
            for cid, c in CONCEPTS.items()
            if cid not in ts.concepts and (c.q_zh if lang_pick == "zh" else c.q_en)
        ]
        if cands:
            _, c = rng.choice(cands)
            return FieldQuery(question=rng.choice(c.q_zh if lang_pick == "zh" else c.q_en)), {"answer": None}
    cands = [
        f for f in present if (CONCEPTS[f.concept].q_zh if lang_pick == "zh" else CONCEPTS[f.concept].q_en)
    ]
    if not cands:
        return None
    f = rng.choice(cands)
    c = CONCEPTS[f.concept]
    return FieldQuery(question=rng.choice(c.q_zh if lang_pick == "zh" else c.q_en)), {
        "answer": doc.fields[f.key]
    }
