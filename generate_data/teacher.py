"""Teacher mode: label real images through any OpenAI-compatible chat endpoint (a big model served
by lmdeploy, vLLM or `chatocr serve-llm`) and write them in the same formats as synthetic data.

Per image: real OCR -> `llm_stage.extract` with the `openai` backend (the one prompt, the answer
schema, parsing, and a retry that feeds the validation error back) -> an XTuner sample and a
dev-format label line. Resumable: images already in labels.jsonl are skipped; failures go to
failed.jsonl and are retried on the next run."""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from llm_stage import BackendError, extract, get_backend
from llm_stage.prompt import xtuner_sample
from llm_stage.types import FieldQuery


class TeacherError(RuntimeError):
    """The endpoint cannot be used at all (unreachable, not OpenAI-compatible); the message says why."""


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
    """Label every document in `images_dir` into `out`; returns counts (labelled, skipped, failed).
    The teacher's values are kept as it wrote them, also where they do not match the OCR text
    verbatim (a big teacher may read past an OCR error)."""
    from ocr_stage import DOCUMENT_SUFFIXES, InputError, get_engine, load_document

    images = sorted(p for p in Path(images_dir).iterdir() if p.suffix.lower() in DOCUMENT_SUFFIXES)
    if not images:
        raise TeacherError(f"{images_dir}: no images ({', '.join(sorted(DOCUMENT_SUFFIXES))}) found")
    try:
        backend = get_backend("openai", base_url=endpoint, model=model, api_key=api_key, timeout=timeout)
    except BackendError as e:
        raise TeacherError(str(e)) from None
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
            try:
                ext = extract(result, query, backend, strict=False)
            except BackendError as e:
                raise TeacherError(f"teacher endpoint {endpoint}: {e}") from None
            if ext.error is not None:
                failed.write(
                    json.dumps(
                        {"image": rel, "error": ext.error, "reply": ext.raw_output}, ensure_ascii=False
                    )
                    + "\n"
                )
                stats["failed"] += 1
                continue
            values = ext.values()
            text = str(result.to_text())
            (out / "ocr" / f"{img.stem}.json").write_text(result.model_dump_json(), encoding="utf-8")
            samples.write(json.dumps(xtuner_sample(text, query, values), ensure_ascii=False) + "\n")
            labels.write(
                json.dumps({"image": rel, "doc_type": "teacher", "fields": values}, ensure_ascii=False) + "\n"
            )
            stats["labelled"] += 1
    return stats
