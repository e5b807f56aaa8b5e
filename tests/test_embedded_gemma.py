"""Gemma 3 270M as the second embedded model: registry and model selection (fast), and with the
converted model (slow: the first conversion takes about a minute, loading a few seconds) its
sentencepiece vocabulary in the constrained decoder's byte table, copy-constrained decoding, the
chat template (no system role) and a real constrained extraction."""

from __future__ import annotations

import json

import pytest

from llm_stage.constrained import decode_json_object

GEMMA = "gemma3-270m"
# Same document as tests/test_llm_extract.py's copy-mode tests, plus a CJK name with a character
# (龘) that Gemma's vocabulary lacks: it is written by <0xNN> byte-fallback tokens.
DOC = (
    "BOOK TA .K (TAMAN DAYA) SDN BHD\nNO.53 JALAN SAGU 18,\nTAMAN DAYA 81100 JOHOR\n"
    "25/12/2018 8:13:39 PM\nTOTAL  RM 9.00\nCASH 10.00\n购买方名称 深圳市购机汇网络有限公司\n"
    "销售方名称 龘鑫贸易有限公司\n开票日期:2016年06月12日"
)


# ---------------------------------------------------------------- registry (no model needed)


def test_registry_names_and_aliases():
    from llm_stage.embedded import DEFAULT_MODEL, MODELS, EmbeddedModelError, get_model

    assert DEFAULT_MODEL == "smollm2-135m-instruct" and set(MODELS) == {DEFAULT_MODEL, GEMMA}
    assert get_model(None).name == DEFAULT_MODEL
    assert get_model("embedded").name == get_model("smollm2").name == DEFAULT_MODEL
    assert get_model("gemma3").name == get_model("GEMMA3-270M").name == GEMMA
    assert get_model(GEMMA).dirname == "gemma3-270m"
    assert get_model(GEMMA).adapter_dir != get_model(None).adapter_dir
    with pytest.raises(EmbeddedModelError, match="gemma3-270m"):
        get_model("llama-7b")


@pytest.mark.parametrize(
    ("base", "want"),
    [
        ("gemma3-270m", GEMMA),
        ("models/gemma3-270m-xtuner", GEMMA),
        ("/abs/models/gemma3-270m/", GEMMA),
        ("smollm2-135m-instruct", "smollm2-135m-instruct"),
        ("models/smollm2-135m-instruct-xtuner", "smollm2-135m-instruct"),
        ("internlm/internlm2-chat-7b", None),
        ("", None),
    ],
)
def test_adapter_base_is_read_from_adapter_config(tmp_path, base, want):
    from llm_stage.embedded import adapter_base

    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base}))
    got = adapter_base(tmp_path)
    assert (got.name if got else None) == want


def test_unknown_model_names_the_embedded_ones():
    from llm_stage import get_backend
    from llm_stage.backends.base import BackendError

    with pytest.raises(BackendError, match="gemma3-270m"):
        get_backend("transformers", model="no-such-model")


def test_gemma_lora_without_a_shipped_adapter_says_so(monkeypatch, tmp_path):
    import dataclasses

    from llm_stage import embedded, get_backend
    from llm_stage.backends.base import BackendError

    spec = dataclasses.replace(embedded.MODELS[GEMMA], adapter_dir=tmp_path / "none")
    monkeypatch.setitem(embedded.MODELS, GEMMA, spec)
    monkeypatch.setattr(embedded, "prepare_embedded_model", lambda **k: tmp_path)
    with pytest.raises(BackendError, match="no fine-tuned adapter is shipped for gemma3-270m"):
        get_backend("transformers", model="gemma3-270m+lora")


# ---------------------------------------------------------------- with the converted model


@pytest.fixture(scope="module")
def gemma_dir():
    from llm_stage.embedded import prepare_embedded_model

    return prepare_embedded_model(name=GEMMA, verbose=False)


@pytest.fixture(scope="module")
def gemma_tokenizer(gemma_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gemma_dir))


@pytest.fixture(scope="module")
def gemma_backend(gemma_dir):
    from llm_stage import get_backend

    return get_backend("transformers", model=GEMMA, threads=1)


@pytest.mark.slow
def test_gemma_token_bytes_are_the_text_the_tokens_stand_for(gemma_tokenizer):
    """Sentencepiece pieces: ▁ is a space, <0xNN> is one byte, control tokens are never allowed."""
    from llm_stage.constrained import token_byte_table

    tok = gemma_tokenizer
    table = token_byte_table(tok)
    assert len(table) == 262144
    assert table[tok.convert_tokens_to_ids("▁")] == b" "
    assert table[tok.convert_tokens_to_ids("▁world")] == b" world"
    assert table[tok.convert_tokens_to_ids("<0xE9>")] == b"\xe9"
    assert table[tok.convert_tokens_to_ids("<0x0A>")] == b"\n"
    for t in ("<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>", "<unused0>"):
        assert table[tok.convert_tokens_to_ids(t)] is None, t
    # any text, tokenised and mapped back through the table, is its own bytes (no dummy prefix)
    for text in (DOC, "  two  spaces\n\n\tx", "价税合计 ￥3495.00", "龘𠀀 ä €", '{"a": null}'):
        ids = tok.encode(text, add_special_tokens=False)
        assert b"".join(table[i] for i in ids) == text.encode(), text
    # every piece whose decoding is whole UTF-8 decodes to its table bytes
    bad = []
    for i in range(0, len(table), 7):
        b = table[i]
        if b is None:
            continue
        d = tok.decode([i])
        if "\ufffd" not in d and d.encode() != b:
            bad.append((i, tok.convert_ids_to_tokens(i), b, d))
    assert not bad, bad[:5]


@pytest.mark.slow
def test_gemma_chat_template_folds_the_system_prompt_into_the_user_turn(gemma_backend):
    from llm_stage.prompt import SYSTEM_PROMPT, build_messages
    from llm_stage.types import FieldQuery

    tok = gemma_backend.tokenizer
    msgs = build_messages("TOTAL 9.00", FieldQuery(fields=["total"]))
    text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert text == (
        f"<bos><start_of_turn>user\n{SYSTEM_PROMPT}\n\n{msgs[1]['content']}<end_of_turn>\n<start_of_turn>model\n"
    )
    ids = gemma_backend.prompt_ids(msgs)
    assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1
    assert ids == tok(text, add_special_tokens=False)["input_ids"]
    # a turn ends with <end_of_turn>: it stops decoding like <eos>
    assert gemma_backend._stop_ids == {tok.eos_token_id, tok.convert_tokens_to_ids("<end_of_turn>")}


def _adversarial_step(table, stops, seed, boost_text=""):
    import torch

    gen = torch.Generator().manual_seed(seed)
    vocab = len(table)
    doc = DOC.encode()
    foreign = [i for i, b in enumerate(table) if b and len(b) > 1 and b not in doc][:3000]
    boost = [i for i, b in enumerate(table) if b and boost_text and b in boost_text.encode()]
    # byte-fallback tokens too: a lone lead byte must never start a value the document lacks
    foreign += [i for i, b in enumerate(table) if b and len(b) == 1 and b[0] >= 0x80]

    def step(ids, cache):
        logits = torch.randn(vocab, generator=gen)
        logits[foreign] += 4.0
        logits[boost] += 2.0
        if seed % 2:
            logits[stops] += 2.0
        return logits, None

    return step


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_gemma_copy_mode_values_are_spans_of_the_document(gemma_backend, seed):
    from llm_stage.value_rules import copy_forms, rules_for_fields

    tok, table = gemma_backend.tokenizer, gemma_backend._table
    stops = sorted(gemma_backend._stop_ids)
    keys = ["company", "address", "购买方名称", "销售方名称", "date", "total", "开票日期"]
    step = _adversarial_step(table, stops, seed, boost_text="深圳市购机汇 龘鑫 JALAN 2018")
    r = decode_json_object(
        step, tok, [2, 105], keys, table=table, stop_ids=set(stops), max_value_tokens=16,
        copy_from=DOC, rules=rules_for_fields(keys),
    )  # fmt: skip
    obj = json.loads(r.text)
    assert list(obj) == keys and r.values == obj
    forms = copy_forms(DOC)
    for k, v in obj.items():
        assert v is None or (v.strip() and any(v in f for f in forms)), (k, v)
    assert obj["date"] in (None, "25/12/2018")
    assert obj["开票日期"] in (None, "2016年06月12日")
    assert obj["total"] in (None, "RM 9.00", "9.00", "10.00")
    assert set(r.logprobs) == set(keys) and all(lp <= 0 for v in r.logprobs.values() for lp in v)


@pytest.mark.slow
def test_gemma_copy_mode_writes_byte_fallback_characters_and_joins_rows(gemma_backend):
    """An oracle model that wants a name with 龘 (three <0xNN> tokens in Gemma's vocabulary), a
    CJK name of whole-character pieces and a two-row address gets all three."""
    import torch

    tok, table = gemma_backend.tokenizer, gemma_backend._table
    want = {
        "销售方名称": "龘鑫贸易有限公司",
        "购买方名称": "深圳市购机汇网络有限公司",
        "address": "JALAN SAGU 18, TAMAN DAYA",
    }
    assert [tok.convert_ids_to_tokens(t) for t in tok.encode("龘", add_special_tokens=False)] == [
        "<0xE9>",
        "<0xBE>",
        "<0x98>",
    ]
    full = ("{" + ", ".join(f'"{k}": "{v}"' for k, v in want.items()) + "}").encode()
    usable = [i for i, b in enumerate(table) if b]
    out = bytearray()

    def step(ids, cache):
        for i in ids:
            out.extend(table[i] or b"")
        logits = torch.full((len(table),), -10.0)
        rest = full[len(out) :] if full.startswith(bytes(out)) else b""
        for i in usable:
            if rest.startswith(table[i]):
                logits[i] = float(len(table[i]))
        return logits, None

    r = decode_json_object(step, tok, [], list(want), table=table, stop_ids=set(gemma_backend._stop_ids),
                           copy_from=DOC)  # fmt: skip
    assert r.values == want


@pytest.mark.slow
def test_gemma_backend_answers_with_spans_of_the_document(gemma_backend):
    from llm_stage import FieldQuery, extract
    from llm_stage.value_rules import copy_forms
    from ocr_stage import OcrPage, OcrResult, TextLine

    lines = [
        TextLine(text=t, box=[(10, 30 * i), (600, 30 * i), (600, 30 * i + 25), (10, 30 * i + 25)], score=0.99)
        for i, t in enumerate(DOC.splitlines())
    ]
    ocr = OcrResult(pages=[OcrPage(index=0, width=800, height=400, lines=lines)], engine="test")
    q = FieldQuery(fields=["company", "date", "total", "购买方名称"])
    ex = extract(ocr, q, gemma_backend)
    assert list(ex.fields) == q.keys and list(json.loads(ex.raw_output)) == q.keys
    assert ex.error is None and ex.timings["tokens"] > 0
    assert gemma_backend.model_name == GEMMA
    for fv in ex.fields.values():
        assert fv.value is None or any(fv.value in f for f in copy_forms(ocr.to_text()))
