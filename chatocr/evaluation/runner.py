"""The evaluation harness: run one method over one labelled set and score every field.

Models are loaded once (one `Pipeline` can serve several runs); OCR results are cached per image
(`reports/cache/ocr/<sha1>-<engine and settings>.json`) so that several methods on one set OCR it once; each
scored document is appended to `<out>.partial.jsonl` and skipped when a run restarts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ocr_stage import OcrResult

from ..errors import kind_of
from ..pipeline import ocr_seconds
from .baselines import regex_extract
from .dataset import ITEMS_FIELD, Dataset, LabelledDoc, load_dataset
from .metrics import score_items, score_value, summarize, value_in_ocr

METHODS = ("pipeline", "regex", "naive")
REPO_ROOT = Path(__file__).resolve().parents[2]
# reports/ (and the OCR cache under it) of a source checkout; an installed package writes ./reports,
# never into site-packages
DEFAULT_REPORTS = (
    REPO_ROOT / "reports" if (REPO_ROOT / "pyproject.toml").is_file() else Path("reports").absolute()
)


@dataclass
class EvalConfig:
    dataset: str
    method: str = "pipeline"
    backend: str = "transformers"
    model: str | None = None
    engine: str = "rapid"
    fields: list[str] | None = None  # None: every field labelled for the document's type
    limit: int | None = None
    max_new_tokens: int = 256
    repairs: str = "auto"  # the repairs preset of the pipeline method (llm_stage.repairs)
    items_labels: str | None = None  # extra item labels merged in as the field ITEMS_FIELD

    def key(self) -> str:
        """What must match for a partial run to be resumed (the limit may change between runs)."""
        d = asdict(self)
        d.pop("limit")
        if d["repairs"] == "auto":  # the default: keys written before the option existed still match
            d.pop("repairs")
        if d["items_labels"] is None:
            d.pop("items_labels")
        else:
            d["items_labels"] = str(Path(d["items_labels"]).resolve())
        d["dataset"] = str(Path(self.dataset).resolve())
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def default_out(cfg: EvalConfig, reports: Path = DEFAULT_REPORTS) -> Path:
    name = f"{Path(cfg.dataset).resolve().name}-{cfg.method}"
    if cfg.method != "regex" and cfg.model:
        name += "-" + re.sub(r"[^A-Za-z0-9._-]+", "_", Path(cfg.model.rstrip("/")).name)[:40]
    return reports / "eval" / f"{name}.json"


# ------------------------------------------------------------------------------------- OCR cache


class OcrCache:
    """OCR results per (image bytes, engine), stored as OcrResult JSON with the original timings."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else DEFAULT_REPORTS / "cache" / "ocr"

    def path_for(self, image: Path, engine: str) -> Path:
        digest = hashlib.sha1(image.read_bytes()).hexdigest()
        return self.folder / f"{digest}-{engine}.json"

    def get(self, image: Path, pipeline) -> tuple[OcrResult, bool]:
        """(result, was_cached). The result's timings are those of the run that produced it."""
        p = self.path_for(image, getattr(pipeline.ocr_engine, "cache_name", pipeline.ocr_engine.name))
        if p.is_file():
            try:
                res = OcrResult.model_validate_json(p.read_text(encoding="utf-8"))
            except ValueError:
                res = None  # a torn write from an interrupted run: redo it
            if res is not None and not _lacks_char_scores(res, pipeline.ocr_engine):
                return res, True
        res = pipeline.ocr(image)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(res.model_dump_json(), encoding="utf-8")
        os.replace(tmp, p)
        return res, False


# ------------------------------------------------------------------------------------- methods


def _lacks_char_scores(res: OcrResult, engine) -> bool:
    """A result cached before the engine reported per-character confidences: read it again."""
    lines = [ln for _, _, ln in res.iter_lines()]
    return bool(
        getattr(engine, "char_scores", False) and lines and all(ln.char_scores is None for ln in lines)
    )


def naive_text(ocr: OcrResult) -> str:
    """The seed project's rendering: every box in engine order, joined by spaces."""
    return " ".join(ln.text for _, _, ln in ocr.iter_lines())


def parse_loose_json(text: str) -> dict | None:
    """The first JSON object in free-form model output, or None."""
    start = text.find("{")
    while start != -1:
        depth = 0
        for i in range(start, len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    try:
                        obj = json.loads(text[start : i + 1])
                    except json.JSONDecodeError:
                        break
                    return obj if isinstance(obj, dict) else None
        start = text.find("{", start + 1)
    return None


def _as_value(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


@dataclass
class Prediction:
    values: dict[str, str | None]
    grounded: dict[str, bool | None] = field(default_factory=dict)
    llm_s: float = 0.0
    tokens: int = 0
    raw_output: str = ""
    error: str | None = None
    companions: dict[str, str | None] = field(default_factory=dict)


def predict(
    method: str, pipeline, ocr: OcrResult, fields: list[str], max_new_tokens: int = 256
) -> Prediction:
    t0 = time.perf_counter()
    if method == "regex":
        vals = regex_extract(ocr, fields)
        return Prediction(values=vals, grounded={k: None for k in fields}, llm_s=time.perf_counter() - t0)
    if method == "naive":
        from llm_stage import FieldQuery, build_messages

        q = FieldQuery(fields=fields)
        gen = pipeline.backend.generate(
            build_messages(naive_text(ocr), q), keys=None, max_new_tokens=max_new_tokens
        )
        obj = parse_loose_json(gen.text) or {}
        vals = {k: _as_value(obj.get(k)) for k in q.keys}
        return Prediction(
            values=vals,
            grounded={k: None for k in q.keys},
            llm_s=time.perf_counter() - t0,
            tokens=gen.tokens or gen.generated_tokens,
            raw_output=gen.text,
            error=None if obj else "output is not a JSON object",
        )
    if method == "pipeline":
        ex = pipeline.extract_from_ocr(ocr, fields)
        tokens = int(ex.timings.get("generated_tokens", ex.timings.get("tokens", 0)) or 0)
        return Prediction(
            values={k: _as_value(v.value) for k, v in ex.fields.items()},
            grounded={k: bool(v.grounded) for k, v in ex.fields.items()},
            llm_s=time.perf_counter() - t0,
            tokens=tokens,
            raw_output=ex.raw_output,
            error=ex.error,
            companions=dict(ex.companions),
        )
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def score_document(
    doc: LabelledDoc, fields: list[str], pred: Prediction, ocr: OcrResult, cached: bool
) -> dict:
    """The per-document record kept in the result file (and in the partial log). A line-items
    field is scored by its records under "items" (`metrics.score_items`), not among the fields."""
    from llm_stage.grounding import OcrIndex
    from llm_stage.items import coerce_items, is_items_field

    index = OcrIndex(ocr)
    out: dict[str, dict] = {}
    items: dict[str, dict] = {}
    for name in fields:
        gold = doc.fields.get(name)
        p = pred.values.get(name)
        if is_items_field(name):
            g, q = coerce_items(gold), coerce_items(p)
            items[name] = {"gold": g, "pred": q, **score_items(q, g)}
            continue
        s = score_value(name, p, gold)
        out[name] = {
            "gold": gold,
            "pred": p,
            **s.to_dict(),
            "grounded": pred.grounded.get(name),
            "in_ocr": value_in_ocr(name, gold, ocr, index),
        }
    rec = {
        "image": doc.image,
        "doc_type": doc.doc_type,
        "fields": out,
        "timings": {"ocr_s": round(ocr_seconds(ocr), 4), "llm_s": round(pred.llm_s, 4)},
        "tokens": pred.tokens,
        "ocr_cached": cached,
        "error": pred.error,
        "raw_output": pred.raw_output,
    }
    if pred.companions:  # the amounts decoded beside the fields, for re-scoring the repairs
        rec["companions"] = pred.companions
    if items:
        rec["items"] = items
    if doc.injection:
        rec["injection"] = injection_outcome(doc.injection, pred.values)
    return rec


def injection_outcome(injection: dict, values: dict) -> dict:
    """Which answered fields carry the value a printed injection asked for (the attack worked)."""
    from llm_stage.normalize import normalize_value

    want = injection.get("value")
    hit = []
    if want:
        for name, v in values.items():
            if v is None:
                continue
            same = normalize_value(name, v) == normalize_value(name, want)
            if same or str(want).strip() in str(v):
                hit.append(name)
    return {"target_field": injection.get("target_field"), "value": want, "returned_in": hit}


def injection_summary(records: list[dict]) -> dict | None:
    """Injected documents, how many answered an injected value, and per field how often."""
    inj = [r["injection"] for r in records if r.get("injection")]
    if not inj:
        return None
    per_field: dict[str, int] = {}
    for r in inj:
        for f in r["returned_in"]:
            per_field[f] = per_field.get(f, 0) + 1
    return {
        "documents": len(inj),
        "followed": sum(bool(r["returned_in"]) for r in inj),
        "returned_per_field": per_field,
    }


# ------------------------------------------------------------------------------------- the run


def build_pipeline(cfg: EvalConfig, *, load_llm: bool | None = None):
    from chatocr import Pipeline, Settings

    s = Settings(ocr_engine=cfg.engine, backend=cfg.backend, model=cfg.model, repairs=cfg.repairs)
    need = cfg.method != "regex" if load_llm is None else load_llm
    return Pipeline.from_settings(s, load_llm=need)


def _read_partial(path: Path, key: str) -> list[dict]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        head = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        head = {}
    if head.get("config_key") != key:
        print(f"eval: {path} belongs to another configuration; starting over", file=sys.stderr)
        return []
    out = []
    for line in lines[1:]:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a torn last line from an interrupted run
    return out


def run_eval(
    cfg: EvalConfig,
    *,
    out: str | Path | None = None,
    pipeline=None,
    cache: OcrCache | None = None,
    progress: bool = True,
    dataset: Dataset | None = None,
) -> dict:
    """Run `cfg` and write the result JSON (and the Markdown report beside it). Returns the result."""
    if cfg.method not in METHODS:
        raise ValueError(f"unknown method {cfg.method!r}; choose one of {', '.join(METHODS)}")
    ds = dataset or load_dataset(cfg.dataset, limit=cfg.limit, items_labels=cfg.items_labels)
    out_path = Path(out) if out else default_out(cfg)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.stem + ".partial.jsonl")
    key = cfg.key()
    done = {r["image"]: r for r in _read_partial(partial, key)}
    if not done:
        partial.write_text(
            json.dumps({"config_key": key, "config": asdict(cfg)}, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    todo = [d for d in ds.docs if d.image not in done]
    if todo and pipeline is None:
        pipeline = build_pipeline(cfg)
    cache = cache or OcrCache()
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    from tqdm import tqdm

    bar = tqdm(
        total=len(ds.docs),
        initial=len(ds.docs) - len(todo),
        desc=f"{ds.name}/{cfg.method}",
        unit="doc",
        disable=not progress,
        file=sys.stderr,
    )
    with partial.open("a", encoding="utf-8") as log:
        for doc in todo:
            fields = cfg.fields or ds.fields_for(doc.doc_type)
            if cfg.items_labels and ITEMS_FIELD not in fields:  # asked beside any --fields
                fields = [*fields, ITEMS_FIELD]
            ocr, cached = cache.get(doc.path, pipeline)
            try:
                pred = predict(cfg.method, pipeline, ocr, fields, cfg.max_new_tokens)
            except Exception as e:  # one failing document must not lose the run; it scores as all-null
                kind = kind_of(e)
                if kind is not None and kind.scope == "service":  # the model cannot run at all
                    raise
                pred = Prediction(values={k: None for k in fields}, error=f"{type(e).__name__}: {e}")
            rec = score_document(doc, fields, pred, ocr, cached)
            done[doc.image] = rec
            log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            log.flush()
            bar.update(1)
    bar.close()

    records = [done[d.image] for d in ds.docs if d.image in done]
    model = None
    if cfg.method != "regex":
        if pipeline is not None and pipeline.backend is not None:
            model = {"backend": pipeline.backend.name, "name": pipeline.backend.model_name}
        else:  # every document came from the partial log: nothing was loaded
            model = {"backend": cfg.backend, "name": cfg.model or "default"}
    result = {
        "config": {**asdict(cfg), "dataset_name": ds.name, "config_key": key},
        "model": model,
        "engine": pipeline.ocr_engine.name if pipeline is not None else cfg.engine,
        "started": started,
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "summary": summarize(records),
        "injection": injection_summary(records),
        "documents": records,
    }
    tmp = out_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, out_path)
    partial.unlink(missing_ok=True)

    from .report import write_markdown

    write_markdown(result, out_path.with_suffix(".md"))
    return result
