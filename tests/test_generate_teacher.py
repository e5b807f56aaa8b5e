"""Teacher mode against a real OpenAI-compatible HTTP server on loopback: a minimal FastAPI server
started here answers in the OpenAI chat-completions shape (it copies lines of the document it was
sent) and records each request, so the tests see what the `openai` backend sends."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time

import pytest

from generate_data.teacher import TeacherError, label_folder
from llm_stage.backends.schema import answer_schema
from llm_stage.types import FieldQuery


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    fastapi = pytest.importorskip("fastapi")
    uvicorn = pytest.importorskip("uvicorn")
    app = fastapi.FastAPI()
    mode = {"garbage": False, "requests": []}

    @app.post("/v1/chat/completions")
    def chat(body: dict):
        mode["requests"].append(body)
        # the document turn (a retry appends the bad reply and a correction turn after it)
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        keys = json.loads(re.search(r"Fields: (\[.*\])", user).group(1))
        doc = user.split("<document>\n", 1)[1].split("\n</document>", 1)[0].splitlines()
        answer = {k: (doc[i] if i < len(doc) else None) for i, k in enumerate(keys)}
        content = "I cannot help" if mode["garbage"] else json.dumps(answer, ensure_ascii=False)
        return {
            "id": "x",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
        }

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", mode
    server.should_exit = True
    t.join(5)


def test_label_folder_writes_samples_and_resumes(endpoint, rapid_engine, sample_path, tmp_path):
    url, mode = endpoint
    mode["garbage"] = False
    mode["requests"].clear()
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    shutil.copy(sample_path, imgs / "a.png")
    (imgs / "broken.png").write_bytes(b"not an image")
    query = FieldQuery(fields=["发票号码", "开票日期"])
    out = tmp_path / "out"
    stats = label_folder(imgs, query, url, out, model="teacher-7b", engine=rapid_engine, progress=False)
    assert stats == {"labelled": 1, "skipped": 0, "failed": 1}
    # the openai backend's request: the model asked for, the answer schema, greedy
    (body,) = mode["requests"]
    assert body["model"] == "teacher-7b" and body["temperature"] == 0
    assert body["response_format"]["json_schema"]["schema"] == answer_schema(query.keys)
    (label,) = [json.loads(x) for x in (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert label["image"].endswith("a.png") and list(label["fields"]) == query.keys
    (sample,) = [json.loads(x) for x in (out / "data.jsonl").read_text(encoding="utf-8").splitlines()]
    conv = sample["conversation"][0]
    assert json.loads(conv["output"]) == label["fields"]
    # the stub copies document lines, so the answer is text the OCR really read
    assert label["fields"]["发票号码"] in conv["input"]
    again = label_folder(imgs, query, url, out, engine=rapid_engine, progress=False)
    assert again["skipped"] == 1 and again["labelled"] == 0


def test_bad_replies_are_recorded_not_fatal(endpoint, rapid_engine, sample_path, tmp_path):
    url, mode = endpoint
    mode["garbage"] = True
    mode["requests"].clear()
    try:
        imgs = tmp_path / "imgs"
        imgs.mkdir()
        shutil.copy(sample_path, imgs / "a.png")
        stats = label_folder(
            imgs, FieldQuery(fields=["total"]), url, tmp_path / "o", engine=rapid_engine, progress=False
        )
        assert stats["failed"] == 1 and stats["labelled"] == 0
        (failed,) = [json.loads(x) for x in (tmp_path / "o" / "failed.jsonl").read_text("utf-8").splitlines()]
        assert failed["reply"] == "I cannot help" and "attempt 2" in failed["error"]
        # retried once with the validation error fed back, as the pipeline does
        first, second = mode["requests"]
        assert second["messages"][: len(first["messages"])] == first["messages"]
        assert second["messages"][-2] == {"role": "assistant", "content": "I cannot help"}
        assert "invalid" in second["messages"][-1]["content"]
    finally:
        mode["garbage"] = False


def test_unreachable_endpoint_is_a_clear_error(rapid_engine, sample_path, tmp_path):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    shutil.copy(sample_path, imgs / "a.png")
    with pytest.raises(TeacherError, match="cannot reach"):
        label_folder(
            imgs,
            FieldQuery(fields=["total"]),
            f"http://127.0.0.1:{_free_port()}",
            tmp_path / "o",
            engine=rapid_engine,
            progress=False,
            timeout=5,
        )
