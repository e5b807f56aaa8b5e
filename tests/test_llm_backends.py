"""Backend registry, options, the lmdeploy install hint, and the OpenAI-compatible path end to end:
`chatocr serve-llm` in a subprocess on loopback, queried by the openai backend."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_helpers import free_port, stop_process, wait_http

from llm_stage import BackendError, FieldQuery, UnknownBackendError, extract, get_backend
from llm_stage.backends.openai_backend import answer_schema
from llm_stage.backends.openai_server import schema_keys

REPO = Path(__file__).resolve().parent.parent


def test_unknown_backend_names_the_choices():
    with pytest.raises(UnknownBackendError, match="transformers.*lmdeploy.*openai"):
        get_backend("gpt-17")


def test_unknown_option_is_a_clear_error():
    with pytest.raises(BackendError, match="invalid options for backend 'openai'.*temprature"):
        get_backend("openai", temprature=0.5)


def test_missing_model_dir_is_a_clear_error():
    with pytest.raises(BackendError, match="not a local directory"):
        get_backend("transformers", model="/nonexistent/internlm2-chat-7b")


@pytest.mark.skipif(importlib.util.find_spec("lmdeploy") is not None, reason="lmdeploy is installed here")
def test_lmdeploy_missing_says_how_to_install():
    with pytest.raises(BackendError, match=r"pip install lmdeploy.*CUDA"):
        get_backend("lmdeploy", model="/models/internlm2-chat-7b-4bit", model_format="awq")


def test_unreachable_server_is_a_backend_error():
    b = get_backend("openai", base_url=f"http://127.0.0.1:{free_port()}", model="x", timeout=2)
    with pytest.raises(BackendError, match="cannot reach"):
        b.generate([{"role": "user", "content": "hi"}], keys=["a"])


def test_schema_keys_accepts_only_flat_string_or_null_objects():
    keys = ["发票号码", "total"]
    assert (
        schema_keys({"type": "json_schema", "json_schema": {"name": "x", "schema": answer_schema(keys)}})
        == keys
    )
    any_of = {"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
    assert schema_keys({"type": "json_schema", "json_schema": {"schema": any_of}}) == ["a"]
    nested = {"type": "object", "properties": {"a": {"type": "array"}}}
    assert schema_keys({"type": "json_schema", "json_schema": {"schema": nested}}) is None
    # a list is read only for a line-items field, which the served model decodes as records
    items = {"type": "object", "properties": {"line items": {"type": "array"}, "total": {"type": "string"}}}
    assert schema_keys({"type": "json_schema", "json_schema": {"schema": items}}) == ["line items", "total"]
    assert schema_keys({"type": "json_object"}) is None
    assert schema_keys(None) is None


@pytest.fixture(scope="module")
def llm_server():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatocr", "serve-llm", "--port", str(port), "--llm-threads", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_http(f"{url}/models", 180, "serve-llm", proc)
        yield url
    finally:
        stop_process(proc, 20)


@pytest.mark.slow
def test_openai_backend_over_served_model_matches_in_process(llm_server, embedded_backend, sample_ocr):
    q = FieldQuery(fields=["发票号码", "开票日期", "价税合计"])
    # the served model decodes under the JSON schema only (the document does not travel with the
    # request), so the in-process reference is the same decoding without copy mode; a backend that
    # cannot copy is strict by default, so the reference is strict too; and one joint prompt, as the
    # served model gets it (in process, the fields would be decoded one by one over a shared cache,
    # a VAT invoice's amounts together: another decoding, which may differ on a close call)
    local = extract(sample_ocr, q, embedded_backend, copy=False, strict=True, per_field=False)
    remote_backend = get_backend("openai", base_url=llm_server)
    remote = extract(sample_ocr, q, remote_backend)
    assert remote.backend == "openai" and remote.model == embedded_backend.model_name
    assert remote.error is None and remote.attempts == 1
    assert remote.raw_output == local.raw_output  # json_schema -> the same constrained decoding
    assert remote.values() == local.values()


@pytest.mark.slow
def test_served_model_rejects_bad_requests_without_dying(llm_server):
    bad = [
        {},
        {"messages": []},
        {"messages": [{"role": "user"}]},
        {"messages": "hi"},
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": "many"},
    ]
    for body in bad:
        r = httpx.post(f"{llm_server}/chat/completions", json=body, timeout=30)
        assert r.status_code in (400, 422), body
    r = httpx.post(
        f"{llm_server}/chat/completions",
        content=b"{not json",
        timeout=30,
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (400, 422)
    # still serving, and free generation (no schema) answers in OpenAI format
    r = httpx.post(
        f"{llm_server}/chat/completions",
        timeout=120,
        json={"messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 5},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and isinstance(body["choices"][0]["message"]["content"], str)
    assert 0 < body["usage"]["completion_tokens"] <= 5


def test_dtype_auto_follows_the_hardware(monkeypatch):
    from llm_stage.backends import transformers_backend as tb

    assert tb.resolve_dtype("float32") == "float32"
    assert tb.resolve_dtype("bfloat16") == "bfloat16"
    monkeypatch.setattr(tb, "native_bf16", lambda device="cpu": False)
    assert tb.resolve_dtype("auto") == "float32"
    monkeypatch.setattr(tb, "native_bf16", lambda device="cpu": True)
    assert tb.resolve_dtype("auto") == tb.MIXED
    with pytest.raises(BackendError, match="dtype"):
        get_backend("transformers", dtype="float16")


def test_mixed_precision_prompt_keeps_an_fp32_cache_and_copies_values(embedded_backend, sample_ocr):
    """The prompt's pass in bf16 (autocast), the answer in fp32 on an fp32 cache: the values are
    still copied from the document, and the cache never mixes dtypes."""
    import torch

    from llm_stage.backends import transformers_backend as tb

    be = embedded_backend
    old = be.dtype
    be.dtype = tb.MIXED
    try:
        ids = list(range(100, 164))
        out = be._forward(ids, None, 1)
        assert {layer.keys.dtype for layer in out.past_key_values.layers} == {torch.float32}
        assert next(be.model.parameters()).dtype == torch.float32
        ex = extract(sample_ocr, FieldQuery(fields=["发票号码", "开票日期"]), be)
    finally:
        be.dtype = old
    found = [f for f in ex.fields.values() if f.value is not None]
    assert found, ex
    assert all(f.grounded and f.box for f in found), ex
