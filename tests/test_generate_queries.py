"""The generator asks each document for fields it lacks, with null targets (generate_data/queries.py)."""

from __future__ import annotations

import random

from generate_data.doctypes import REGISTRY, Doc
from generate_data.fields import CONCEPTS
from generate_data.queries import CORE_FIELDS, make_queries


def _concepts_named(name: str) -> set[str]:
    return {cid for cid, c in CONCEPTS.items() if name in (*c.zh, *c.en)}


def test_absent_fields_are_asked_with_null_targets_also_beside_the_core_fields():
    doc = Doc(
        "my_receipt",
        {"company": "KEDAI ABC SDN BHD", "date": "25/12/2018", "address": "1 JALAN X", "total": "9.00"},
    )
    dt = REGISTRY["my_receipt"]
    printed = {f.concept for f in dt.spec.fields if f.key in doc.fields}
    queries = make_queries(dt, doc, random.Random(7), 400)
    nulls = [(q, k) for q, a in queries for k, v in a.items() if v is None and k != "answer"]
    # the receipt's own unprinted fields are asked by their names (a phone, a receipt number, a GST ID)
    asked = {k for _, k in nulls}
    assert asked & {"phone", "电话", "receipt_no", "invoice number", "receipt number", "GST ID", "tax_id"}
    # beside the evaluation's core fields too, not only in the mixed queries
    core = set(CORE_FIELDS["my_receipt"])
    assert sum(1 for q, k in nulls if core & set(q.keys)) >= 50
    # and never a name of a field the document prints
    for _, k in nulls:
        assert not (_concepts_named(k) & printed) or k in {
            f.key for f in dt.spec.fields if f.key not in doc.fields
        }, k


def _queries_of(type_name: str, n_docs: int, seed: int = 3) -> list[tuple]:
    from generate_data.doctypes.base import Fakers

    dt = REGISTRY[type_name]
    rng = random.Random(seed)
    out = []
    for _ in range(n_docs):
        doc = dt.generate(rng, Fakers(rng))
        out += [(doc, q, a) for q, a in make_queries(dt, doc, rng, 8)]
    return out


def test_a_vat_invoice_is_never_asked_by_the_label_of_its_net_and_tax_row():
    """The VAT form's "合 计" row prints the net and the tax: asking the gross by "合计" would teach
    the model that row means the gross. The gross is still asked, by its other names."""
    for type_name in ("vat_special_invoice", "vat_normal_invoice"):
        queries = _queries_of(type_name, 40)
        keys = [k for _, q, _ in queries for k in q.keys]
        assert "合计" not in keys
        gross_names = {k for doc, q, a in queries for k in q.keys if a[k] == doc.fields["价税合计"]}
        assert "价税合计" in gross_names and len(gross_names) >= 3, gross_names


def test_a_receipt_whose_total_row_is_labelled_heji_is_still_asked_by_it():
    keys = [k for _, q, _ in _queries_of("cn_supermarket_receipt", 30) for k in q.keys]
    assert "合计" in keys
