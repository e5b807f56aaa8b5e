"""Query sampling: which fields a training sample asks for, by which names, and the target answer.

Mixes: multi-field lists in shuffled order by canonical names or aliases (Chinese and English),
fields the document lacks (target null), single fields, natural-language questions (key "answer"),
and a share of queries asking for line items."""

from __future__ import annotations

import os
import random

from llm_stage.field_roles import field_spec
from llm_stage.types import FieldQuery, name_identity

from .doctypes.base import Doc, DocType
from .doctypes.items import side_rng
from .fields import CONCEPTS, LOCAL_QUESTIONS, TypeSpec, local_names

# The longest training sample, in tokens: the smallest max_length of the training recipes (the CPU
# recipes' 1536, chatocr/training/xtuner_config/_base_/cpu_lora.py; the GPU recipe has 2048) less a
# margin for the chat template's tokens.
SAMPLE_TOKEN_BUDGET = 1536 - 64


def approx_tokens(s: str) -> int:
    """An upper estimate of SmolLM2's token count for `s` (the tokenizer spending most per
    character of the recipes'): 2.5 per CJK character, 1 per digit, 1 per 2.5 other characters
    (a line-items answer spends many on its keys, quotes and nulls)."""
    cjk = sum(1 for ch in s if ord(ch) > 0x2E80)
    digits = sum(ch.isdigit() for ch in s)
    return (25 * cjk + 4 * (len(s) - cjk - digits) + 9) // 10 + digits


# a type with a locale asks a field not asked by its key by a local name this often
LOCAL_NAME_SHARE = 0.55


def _names_for(
    key: str,
    concept: str,
    lang: str,
    rng: random.Random,
    locale: str | None = None,
    avoid: frozenset[str] = frozenset(),
) -> str:
    """The name a query asks field `key` (of `concept`) by: its key, a local name, or an alias in
    the document's language or the other; never one of `avoid` (the type's `not_asked_by`). The
    draws are the same whatever `avoid` holds, so other types' queries do not move."""
    c = CONCEPTS[concept]
    if rng.random() < 0.45:
        return key
    local = local_names(concept, locale)
    if local and rng.random() < LOCAL_NAME_SHARE:  # drawn only for a type with a locale
        return _avoiding(rng.choice(local), key, avoid)
    other = c.en if lang == "zh" else c.zh
    own = c.zh if lang == "zh" else c.en
    pool = list(own) if (rng.random() < 0.7 or not other) else list(other)
    return _avoiding(rng.choice(pool or [key]), key, avoid)


def _avoiding(name: str, key: str, avoid: frozenset[str]) -> str:
    return key if name in avoid else name


def _taken(name: str, names) -> bool:
    """Is `name` one of `names` up to case and width (a query asks each field once: "Total" beside
    "total" is the same field)?"""
    ident = name_identity(name)
    return any(name_identity(n) == ident for n in names)


def locale_of(ts: TypeSpec, doc: Doc) -> str | None:
    """The key of LOCAL_NAMES a document is asked by: its type's, else the page's own (an invoice
    printed in one of several languages sets `doc.data["locale"]`)."""
    return ts.locale or doc.data.get("locale")


def _absent_names(ts: TypeSpec, doc: Doc, taken: set[str]) -> list[tuple[str, str]]:
    """(name, concept) pairs this document does not contain: other concepts, or its own unprinted fields."""
    loc = locale_of(ts, doc)
    own_names = {
        n.lower()
        for f in ts.fields
        for n in (f.key, *CONCEPTS[f.concept].zh, *CONCEPTS[f.concept].en, *local_names(f.concept, loc))
    }
    out = []
    for cid, c in CONCEPTS.items():
        if cid in ts.concepts or cid in ts.unlabelled:
            continue
        for n in (*c.zh, *c.en, *local_names(cid, loc)):
            if n.lower() not in own_names and n not in taken:
                out.append((n, cid))
    printed = {f.concept for f in ts.fields if f.key in doc.fields}
    for f in ts.fields:  # optional fields this instance did not print (no phone, no rounding line)
        if f.key not in doc.fields:
            out.append((f.key, f.concept))
            if f.concept not in printed:  # and by its other names, where no printed field shares them
                c = CONCEPTS[f.concept]
                names = (*c.zh, *c.en, *local_names(f.concept, loc))
                out += [(n, f.concept) for n in names if n not in taken and n != f.key]
    return out


def _absent_pick(ts: TypeSpec, pool, rng: random.Random, k: int):
    """`k` absent names, most often the type's own fields this document lacks (a phone or a receipt
    number on a receipt without one): those are the absent fields a real page tempts a model to fill.
    The company of a receipt whose name is only a logo is such a field (its answer is null)."""
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
for _t in ("de", "fr", "nl", "es", "it", "uk", "jp"):  # the receipts of doctypes.world_receipts
    CORE_FIELDS[f"{_t}_receipt"] = ["company", "date", "address", "total"]
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
            key
            if rng.random() < 0.75 or key not in concept
            else _names_for(key, concept[key], ts.lang, rng, locale_of(ts, doc), ts.not_asked_by)
        )
        if _taken(name, answer):
            name = key
        answer[name] = doc.fields.get(key)
    if rng.random() < CORE_ABSENT_SHARE:
        pool = _absent_names(ts, doc, set(answer))
        for name, _ in _absent_pick(ts, pool, rng, rng.choice([1, 2, 3])):
            if not _taken(name, answer):
                answer[name] = absent_value(name)
    query = FieldQuery(fields=list(answer))
    return query, {q: answer[q] for q in query.keys}


def make_queries(
    dt: DocType, doc: Doc, rng: random.Random, n: int, text: str | None = None
) -> list[tuple[FieldQuery, dict]]:
    """`n` (query, answer) pairs for one document; answers are values as printed, None if absent
    ([] for a line-items field the document has no rows for). `text`: the document's OCR text, to
    keep a line-items sample within the training budget."""
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
        if r < 0.26:
            k = 1
        else:
            k = rng.randint(2, min(8, max(2, len(scalars))))
        chosen = rng.sample(scalars, min(k, len(scalars)))
        names: list[str] = []
        answer: dict = {}
        for f in chosen:
            name = _names_for(f.key, f.concept, ts.lang, rng, locale_of(ts, doc), ts.not_asked_by)
            if _taken(name, answer):
                name = f.key
            if _taken(name, answer):
                continue
            names.append(name)
            answer[name] = doc.fields[f.key]
        if rng.random() < 0.35 or not names:
            pool = _absent_names(ts, doc, set(names))
            for name, _ in _absent_pick(ts, pool, rng, rng.choice([1, 1, 2])):
                if not _taken(name, answer):
                    names.append(name)
                    answer[name] = absent_value(name)
        order = list(range(len(names)))
        rng.shuffle(order)
        names = [names[i] for i in order]
        query = FieldQuery(fields=names)
        out.append((query, {k: answer[k] for k in query.keys}))
    if out:
        _ask_items(ts, doc, out, scalars, items, text)
    return out


def absent_value(name: str) -> list | None:
    """The target of a field the document does not print: null, or [] for a line-items field."""
    return [] if field_spec(name).role == "items" else None


def _ask_items(ts: TypeSpec, doc: Doc, out: list, scalars, items, text: str | None) -> None:
    """Replace one of the document's queries by one asking its line items ([] where it prints no
    rows), for ITEMS_SHARE of the documents that print rows and NO_ITEMS_SHARE of the others. The
    choice is drawn from a stream seeded by the document's values, so the other queries are those
    the document's own stream drew. Skipped when the sample would not fit the training budget."""
    irng = side_rng("ask-items:", doc.fields)
    if irng.random() >= (items_share() if items else NO_ITEMS_SHARE):
        return
    r = irng.random()  # mostly in the document's language, sometimes in another
    names = ITEM_NAMES["other" if r < 0.2 else ts.lang if r < 0.8 else "en" if ts.lang == "zh" else "zh"]
    fields = {irng.choice(names): doc.fields[items[0].key] if items else []}
    if scalars and irng.random() < 0.7:  # beside scalar fields, as a user asks them
        for f in irng.sample(scalars, min(len(scalars), irng.randint(1, 3))):
            name = _names_for(f.key, f.concept, ts.lang, irng, locale_of(ts, doc), ts.not_asked_by)
            if not _taken(name, fields):
                fields[name] = doc.fields[f.key]
    keys = list(fields)
    irng.shuffle(keys)
    query = FieldQuery(fields=keys)
    pair = (query, {k: fields[k] for k in query.keys})
    if text is not None and not fits_budget(text, *pair):
        return
    out[irng.randrange(len(out))] = pair


# the share of documents asked for their line items: of those printing item rows (default; the
# environment's ITEMS_SHARE_ENV, set by `--items-share`, overrides it), of the others
ITEMS_SHARE = 0.25
ITEMS_SHARE_ENV = "CHATOCR_ITEMS_SHARE"
NO_ITEMS_SHARE = 0.05


def items_share() -> float:
    """The share of documents with item rows asked for them: $CHATOCR_ITEMS_SHARE (0..1), or ITEMS_SHARE."""
    try:
        return min(1.0, max(0.0, float(os.environ.get(ITEMS_SHARE_ENV, ITEMS_SHARE))))
    except ValueError:
        return ITEMS_SHARE


# the names a user asks line items by (each has field_spec(name).role == "items")
ITEM_NAMES = {
    "en": ["line items", "items", "line item list", "Line Items", "lineItems", "line_items", "products"],
    "zh": [
        "商品明细",
        "货物明细",
        "明细",
        "货物或应税劳务名称",
        "货物或应税劳务明细",
        "商品列表",
        "购物清单",
        "收费明细",
    ],
    "other": ["Positionen", "Artikel", "articles", "artículos", "lignes", "produits", "Posten"],
}


def fits_budget(text: str, query: FieldQuery, answer: dict, budget: int = SAMPLE_TOKEN_BUDGET) -> bool:
    """Does the training sample of (OCR `text`, `query`, `answer`) fit `budget` tokens, by the
    conservative estimate `approx_tokens`?"""
    from llm_stage.prompt import xtuner_sample

    (conv,) = xtuner_sample(text, query, answer)["conversation"]
    return approx_tokens(conv["system"] + conv["input"] + conv["output"]) <= budget


def _question(ts: TypeSpec, doc: Doc, present, rng: random.Random):
    local_q = LOCAL_QUESTIONS.get(locale_of(ts, doc) or "", {})
    if local_q and rng.random() < 0.5:  # a type with a locale: a question in its language
        asked = [f for f in present if f.concept in local_q]
        if asked:
            f = rng.choice(asked)
            return FieldQuery(question=rng.choice(local_q[f.concept])), {"answer": doc.fields[f.key]}
    lang_pick = ts.lang if rng.random() < 0.75 else ("en" if ts.lang == "zh" else "zh")
    if rng.random() < 0.12:  # a question the document cannot answer
        cands = [
            (cid, c)
            for cid, c in CONCEPTS.items()
            if cid not in ts.concepts | ts.unlabelled and (c.q_zh if lang_pick == "zh" else c.q_en)
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
