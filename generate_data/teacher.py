"""Teacher mode: label real images through any OpenAI-compatible chat endpoint (a big model served
by lmdeploy, vLLM or `chatocr serve-llm`) and write them in the same formats as synthetic data.

Per image: real OCR -> build_messages (the one prompt) -> POST {endpoint}/v1/chat/completions ->
an answer with exactly the requested keys -> an XTuner sample and a dev-format label line.
Resumable: images already in labels.jsonl are skipped; failures go to failed.jsonl and are retried
on the next run."""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from llm_stage.parsing import parse_answer
from llm_stage.prompt import build_messages, xtuner_sample
from llm_stage.types import FieldQuery


class TeacherError(RuntimeError):
    """The endpoint cannot be used at all (unreachable, not OpenAI-compatible); the message says why."""


def parse_reply(text: str, query: FieldQuery) -> dict:
    """The teacher's answer with exactly the query's keys (the LLM stage's parser and validation);
    raises OutputInvalidError (a ValueError) otherwise."""
    return parse_answer(text, query.keys)


def ask(client, endpoint: str, model: str, messages, api_key: str | None) -> str:
    import httpx

    url = endpoint.rstrip("/")
    if not url.endswith("/v1"):
        url += "/v1"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        r = client.post(
            f"{url}/chat/completions",
            json={"model": model, "messages": messages, "temperature": 0},
            headers=headers,
        )
    except httpx.HTTPError as e:
        raise TeacherError(f"endpoint {endpoint} unreachable: {e}") from None
    if r.status_code >= 400:
        raise TeacherError(f"endpoint {endpoint} answered HTTP {r.status_code}: {r.text[:200]}")
    try:
        return r.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise TeacherError(f"endpoint {endpoint} is not OpenAI-compatible: {r.text[:200]}") from None


def label_folder(
    images_dir: Path,
    query: FieldQuery,
    endpoint: str,
    out: Path,
    *,
    model: str = "default",
    api_key: str | None = None,
    timeout: float = 120.0,
    engine="rapid",
    progress: bool = True,
) -> dict:
    import httpx

    from ocr_stage import DOCUMENT_SUFFIXES, InputError, get_engine, load_document

    images = sorted(p for p in Path(images_dir).iterdir() if p.suffix.lower() in DOCUMENT_SUFFIXES)
    if not images:
        raise TeacherError(f"{images_dir}: no images ({', '.join(sorted(DOCUMENT_SUFFIXES))}) found")
    out.mkdir(parents=True, exist_ok=True)
    (out / "ocr").mkdir(exist_ok=True)
    labels_path = out / "labels.jsonl"
    done = set()
    if labels_path.is_file():
        done = {
            json.loads(line)["image"]
            for line in labels_path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        }
    eng = get_engine(engine)
    stats = {"labelled": 0, "skipped": 0, "failed": 0}
    with (
        httpx.Client(timeout=timeout) as client,
        labels_path.open("a", encoding="utf-8") as labels,
        (out / "data.jsonl").open("a", encoding="utf-8") as samples,
        (out / "failed.jsonl").open("a", encoding="utf-8") as failed,
    ):
        for img in tqdm(images, desc="labelling", unit="img", disable=not progress):
            rel = str(Path(img).resolve())
            if rel in done:
                stats["skipped"] += 1
                continue
            try:
                result = eng.run(load_document(img))
            except InputError as e:
                failed.write(json.dumps({"image": rel, "error": str(e)}, ensure_ascii=False) + "\n")
                stats["failed"] += 1
                continue
            text = str(result.to_text())
            reply = ask(client, endpoint, model, build_messages(text, query), api_key)
            try:
                values = parse_reply(reply, query)
            except ValueError as e:
                failed.write(
                    json.dumps({"image": rel, "error": str(e), "reply": reply}, ensure_ascii=False) + "\n"
                )
                stats["failed"] += 1
                continue
            (out / "ocr" / f"{img.stem}.json").write_text(result.model_dump_json(), encoding="utf-8")
            samples.write(json.dumps(xtuner_sample(text, query, values), ensure_ascii=False) + "\n")
            labels.write(
                json.dumps({"image": rel, "doc_type": "teacher", "fields": values}, ensure_ascii=False) + "\n"
            )
            stats["labelled"] += 1
    return stats
