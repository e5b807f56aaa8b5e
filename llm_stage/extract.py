"""One extraction: OCR result + field query -> Extraction, through any backend.

The reply is parsed and validated against the query; an invalid reply is retried once with the
validation error fed back to the model. When attempts run out every field is null and
`Extraction.error` says why: a bad model answer never crashes the caller.
"""

from __future__ import annotations

import json
import time

from ocr_stage import OcrResult

from .backends import Backend
from .constrained import MAX_LIST_TOKENS
from .evidence import drop_unsupported
from .field_roles import field_spec
from .grounding import ground_values
from .instructions import INSTRUCTION_FLAG, without_instructions
from .items import LIST_CUT, check_items, coerce_items, is_items_field
from .parsing import OutputInvalidError, parse_answer
from .plausibility import check_answer
from .prompt import LAYOUT, build_messages, field_queries
from .repairs import DEFAULT_PRESET, amounts_together, apply_repairs, check_preset
from .repairs.general import amount_companions, amount_roles
from .shapes import rules_for_fields
from .signals import OCR_UNSURE, unsure_characters
from .types import Extraction, FieldQuery, FieldValue, RepairRecord

MAX_ATTEMPTS = 2


def retry_message(error: OutputInvalidError, keys: list[str]) -> dict[str, str]:
    """The follow-up user turn after an invalid reply (the validation error, not a blind re-ask)."""
    import json

    return {
        "role": "user",
        "content": (
            f"Your reply was invalid: {error}. Reply again with only one JSON object with exactly the keys "
            f"{json.dumps(keys, ensure_ascii=False)}; each value is a string copied from the document or null."
        ),
    }


asks_for_items = is_items_field  # the name the callers of this module know it by


def max_tokens_for(keys: list[str]) -> int:
    """The answer's token budget: 48 per plain value, MAX_LIST_TOKENS per line-item list (the cap
    the constrained decoder also keeps), at most 4096."""
    return min(4096, 64 + sum(MAX_LIST_TOKENS if asks_for_items(k) else 48 for k in keys))


def extract(
    ocr: OcrResult,
    query: FieldQuery,
    backend: Backend,
    *,
    strict: bool | None = None,
    normalize: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    copy: bool | None = None,
    review_below: float | None = None,
    repairs: str | None = DEFAULT_PRESET,
    per_field: bool | None = None,
) -> Extraction:
    """Ask `backend` for the query's fields in `ocr`'s text; values are grounded to OCR lines
    (`strict`: ungrounded values become null; default: on when copy is wanted and the backend
    cannot copy) and optionally normalised.

    `copy` (default: on for field queries, off for a question) makes a backend that can
    (`supports_copy`) decode every value as a substring of the document text, dates and amounts
    in their shape; `copy=False` lets the model write free text. Each value gets a `confidence`
    and `needs_review` when it is below `review_below` (default: the model's calibrated threshold).
    `repairs` names the preset of post-decoding repairs (`llm_stage.repairs`); each change they make
    is recorded in `Extraction.repairs`.

    `per_field` (default: on for a field query of several keys on a backend that `shares_prefix`)
    asks each field on its own over the one document, so an answer cannot depend on the other
    fields asked."""
    if not isinstance(query, FieldQuery):
        query = FieldQuery(fields=query)
    keys = query.keys
    repairs = check_preset(repairs)
    layout = getattr(backend, "prompt_layout", LAYOUT)  # the layout its model was trained on
    messages = build_messages(ocr, query, layout)
    # the evidence values may be copied from and grounded in: the document less any box printed
    # as an instruction to a model (see instructions.py); the prompt still shows the whole page
    evidence = without_instructions(ocr)
    rendered = evidence.to_text()
    if copy is None:
        copy = bool(query.fields)
    if strict is None:
        # No invention by default: a backend that cannot copy while decoding has its field values
        # checked against the document afterwards instead.
        strict = copy and not backend.supports_copy
    if per_field is None:
        per_field = backend.shares_prefix and not query.question
    # Decoding field by field over a shared document cache, on a document of a family that prints
    # its net, tax and gross together (a VAT invoice), an amount field is read with the amount
    # roles the query lacks (repairs.general.amount_companions): the three are asked in one prompt,
    # gross, net, tax, so each is told from the others as the page sets them side by side, and the
    # arithmetic repairs see the same three amounts whether one is asked alone or with them. The
    # companions are not answered. (A backend without a shared cache would pay a request for
    # them; on a receipt the model's guesses at an unprinted net and tax would only mislead.)
    with_roles = bool(
        per_field and backend.shares_prefix and query.fields and amounts_together(repairs, str(rendered))
    )
    companions = amount_companions(keys) if with_roles else []
    decoded = [*keys, *companions]
    per_field = per_field and len(decoded) > 1
    constraints = {}
    if copy and backend.supports_copy:
        constraints = {"copy_from": str(rendered), "rules": rules_for_fields(decoded)}
    t0 = time.perf_counter()
    companion_values: dict = {}
    values: dict | None = None
    error: str | None = None
    raw = ""
    tokens = 0
    attempts = 0
    # a page with no text (blank, or nothing OCR could read) holds no field, whatever the mode
    blank = not any(ch.isalnum() for ch in str(rendered))
    if blank:
        values = {k: None for k in keys}
    while not blank and attempts < max(1, max_attempts):
        attempts += 1
        if per_field and attempts == 1:
            each = {**field_queries(query), **{c: FieldQuery(fields=[c]) for c in companions}}
            if with_roles:  # the amounts are read together, in one prompt (see above)
                each = amounts_in_one(each, decoded)
            result = backend.generate_each(
                {k: build_messages(ocr, q, layout) for k, q in each.items()},
                max_new_tokens=max(max_tokens_for([k]) for k in decoded),
                joint=messages,
                joint_keys=keys,
                **constraints,
            )
        else:
            result = backend.generate(messages, keys=keys, max_new_tokens=max_tokens_for(keys), **constraints)
        raw = result.text
        tokens += result.tokens
        try:
            # the companions are in the per-field answer only (a retry asks the query's keys)
            values = parse_answer(raw, decoded if per_field and attempts == 1 else keys)
            values = {**dict.fromkeys(companions), **values}
            error = None
            break
        except OutputInvalidError as e:
            error = f"attempt {attempts}: {e}"
            messages = [*messages, {"role": "assistant", "content": raw}, retry_message(e, keys)]
    llm_s = time.perf_counter() - t0
    logprobs = {} if blank else getattr(result, "value_logprobs", None) or {}
    if values is None:
        fields = {k: FieldValue() for k in keys}
    else:
        answered = {
            k for k, v in values.items() if (v.strip() != "" if isinstance(v, str) else v is not None)
        }
        # a line-items field holds records with the keys ITEM_KEYS (or nothing: not a list)
        values = {k: coerce_items(v) if is_items_field(k) else v for k, v in values.items()}
        model_values = dict(values)
        values, repaired = apply_repairs(values, str(rendered), repairs)
        # a value the repairs settled with the help of the other fields asked would differ if the
        # field were asked alone: it depends on the company it keeps, so a reviewer should look
        dependent = {
            k
            for k in keys
            if len(keys) > 1
            and apply_repairs(alone_context(k, model_values, with_roles), str(rendered), repairs)[0].get(k)
            != values[k]
        }
        # the companions were decoded for the repairs' arithmetic only
        companion_values = {c: model_values[c] for c in companions}
        values = {k: values[k] for k in keys}
        model_values = {k: model_values[k] for k in keys}
        repaired = [r for r in repaired if r.field in values]
        # a value the rules turned to null: the model's probabilities were about the value it wrote,
        # not about absence, so there is no confidence to show and a reviewer should look
        ruled_out = {k for k in answered if values.get(k) is None}
        # absent means null: a value for a field the page shows no label or shape for (evidence.py)
        before_check = values
        values, no_evidence = drop_unsupported(values, str(rendered))
        # recorded like a repair, so the answer says why a value the model wrote became null
        repaired = [
            *repaired,
            *(
                RepairRecord(rule="no_evidence", field=k, before=before_check.get(k), after=None)
                for k in no_evidence
            ),
        ]
        t1 = time.perf_counter()
        grounded = ground_values(evidence, rendered, values, strict=strict)
        fields = {k: grounded.get(k, FieldValue()) for k in keys}
        if normalize:
            from .normalize import normalize_value

            for k, fv in fields.items():
                if isinstance(fv.value, str):
                    fv.normalized = normalize_value(k, fv.value)
        ground_s = time.perf_counter() - t1
        context = {
            "model_values": model_values,
            "other_values": None if blank else getattr(result, "alternative", None),
            "ocr": evidence,
            "text": str(rendered),
        }
        item_lps = {} if blank else getattr(result, "item_logprobs", None) or {}
        features = _score(fields, logprobs, backend, review_below, context, item_lps)
        for k in ruled_out & set(fields):
            fields[k].confidence, fields[k].needs_review = None, True
        for k, reasons in check_answer({k: fv.value for k, fv in fields.items()}, str(ocr.to_text())).items():
            fields[k].review_reasons, fields[k].needs_review = reasons, True
        for k in unsure_characters(fields):
            fields[k].review_reasons.append(OCR_UNSURE)
            fields[k].needs_review = True
        for k in set(no_evidence) & set(fields):
            fields[k].confidence = None
        for k in dependent & set(fields):
            fields[k].needs_review = True
        check_items(fields)
        for k in (getattr(result, "items_cut", None) or {}) if not blank else {}:
            if k in fields:
                fields[k].review_reasons.append(LIST_CUT)
                fields[k].needs_review = True
    timings = {"llm_s": llm_s, "tokens": float(tokens)}
    if values is not None:
        timings["ground_s"] = ground_s
    return Extraction(
        features=features if values is not None else {},
        alternative=None if blank else getattr(result, "alternative", None),
        flags=(record_flags(fields) if values is not None else [])
        + ([INSTRUCTION_FLAG] if evidence is not ocr else []),
        fields=fields,
        repairs=repaired if values is not None else [],
        raw_output=_asked_only(raw, keys, with_roles and per_field and attempts == 1),
        companions=companion_values if values is not None else {},
        backend=backend.name,
        model=backend.model_name,
        error=error if values is None else None,
        attempts=attempts,
        timings=timings,
    )


def _asked_only(raw: str, keys: list[str], grouped: bool) -> str:
    """The model's answer text as asked: where the amounts were read together (`grouped`), the
    query's keys in its order, without the companions (Extraction.companions holds them)."""
    if not grouped:
        return raw
    try:
        obj = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(obj, dict):
        return raw
    return json.dumps({k: obj[k] for k in keys if k in obj}, ensure_ascii=False)


def amounts_in_one(each: dict, decoded: list[str]) -> dict:
    """`each` (a single-field query per key) with the amount-role keys among `decoded` asked in
    one query, in role order (gross, net, tax), under the tuple of their names; unchanged when
    fewer than two have a role (one per role: a second field of the same role stays apart)."""
    by_role = amount_roles(decoded)
    group = tuple(by_role[r][0] for r in ROLE_ORDER if r in by_role)
    if len(group) < 2:
        return each
    hints = {k: h for k in group for h in each[k].hints.values()}
    out = {k: q for k, q in each.items() if k not in group}
    out[group] = FieldQuery(fields=list(group), hints=hints)
    return out


ROLE_ORDER = ("gross", "net", "tax")


def alone_context(key: str, values: dict, with_roles: bool) -> dict:
    """The values the repairs would see if `key` were asked alone: its own, and where amount fields
    are decoded with their companions (`with_roles`), one value of each other amount role."""
    ctx = {key: values.get(key)}
    role = field_spec(key).amount_role
    if not role or not with_roles:
        return ctx
    for r, ks in amount_roles(values).items():
        if r != role:
            ctx[ks[0]] = values[ks[0]]
    return ctx


def _score(
    fields: dict[str, FieldValue],
    logprobs: dict,
    backend: Backend,
    review_below: float | None,
    context: dict | None = None,
    item_logprobs: dict | None = None,
) -> dict:
    """Set confidence/needs_review on every field; returns the features used."""
    from .confidence import confidence_of, load_calibration, value_features

    if not hasattr(backend, "calibration"):  # read once per backend, also when there is none
        backend.calibration = load_calibration(getattr(backend, "adapter_dir", None))
    calibration = backend.calibration
    threshold = review_below if review_below is not None else (calibration.threshold if calibration else 0.5)
    item_logprobs = item_logprobs or {}
    plain = {k: fv.value for k, fv in fields.items()}
    signals = _signals(fields, context) if context is not None else {}
    features = {}
    for k, fv in fields.items():
        x = value_features(k, fv.value, logprobs.get(k), fv.grounded, plain, signals.get(k))
        features[k] = x
        if x is not None:
            fv.confidence = round(confidence_of(calibration, x), 4)
        ungrounded = fv.value is not None and not fv.grounded
        fv.needs_review = ungrounded or (fv.confidence is not None and fv.confidence < threshold)
        # each cell of a line item scored as a field of its own name ("amount", "description")
        for rec, cell_lps in zip(fv.items or [], item_logprobs.get(k) or [], strict=False):
            for cell, cv in rec.cells.items():
                y = value_features(cell, cv.value, cell_lps.get(cell), cv.grounded, {})
                if y is not None:
                    cv.confidence = round(confidence_of(calibration, y), 4)
                cv.needs_review = (cv.value is not None and not cv.grounded) or (
                    cv.value is not None and cv.confidence is not None and cv.confidence < threshold
                )
            rec.needs_review = any(cv.needs_review for cv in rec.cells.values())
    return features


def _signals(fields: dict[str, FieldValue], context: dict) -> dict[str, list[float]]:
    """The transferable signals of every field (llm_stage.signals) from the extraction's context."""
    from .signals import field_roles, value_signals

    kinds, roles = field_roles(list(fields))
    return value_signals(
        fields,
        context["model_values"],
        context["other_values"],
        context["ocr"],
        context["text"],
        kinds=kinds,
        roles=roles,
    )


def record_flags(fields: dict[str, FieldValue]) -> list[str]:
    """Warnings about the answer as a whole: nothing found, or one value given for every field."""
    vals = [fv.value for fv in fields.values()]
    if all(v is None for v in vals):
        return ["all_null"]
    strs = [v.strip() for v in vals if isinstance(v, str)]
    if len(vals) >= 2 and len(strs) == len(vals) and len(set(strs)) == 1:
        return ["identical_values"]
    return []
