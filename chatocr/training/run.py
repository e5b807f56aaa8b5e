"""`chatocr finetune`: the whole run on a folder of labelled documents, resumable at every stage.

The folder is checked as a whole (`folder`), OCRed once per document through the pipeline's engine
(the eval's OCR cache), turned into samples (`samples`), mixed with a share of synthetic samples and
trained as a LoRA with XTuner on top of the starting adapter (`recipes`, `xtuner`). A share of the
documents is held out and scored before and after with the eval code; `provenance` writes what was
done. The OCR resumes from its cache, training from XTuner's last checkpoint in `<output>.work/`,
the scoring from its partial log.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..evaluation.dataset import Dataset, LabelledDoc
from . import xtuner
from .folder import FolderError, FolderReport, check_folder, split_holdout
from .provenance import provenance
from .recipes import Recipe, resolve_start
from .samples import build_samples, default_synthetic, load_synthetic, mix_synthetic

DEFAULT_EPOCHS = 2  # --steps default: passes over the mixed samples
SECONDS_PER_STEP = 9.0  # measured XTuner CPU step of the embedded model (ETA before the first step)


@dataclass
class Options:
    folder: Path
    output: Path
    model: str | None = None
    engine: str | None = None
    holdout: float = 0.2
    steps: int | None = None
    synthetic: Path | None = None
    synthetic_share: float = 0.3
    force: bool = False
    seed: int = 0
    progress: bool = True
    verbose: bool = False


def _say(msg: str) -> None:
    print(f"finetune: {msg}", file=sys.stderr, flush=True)


def check_output(out: Path, force: bool) -> None:
    """An existing output is replaced only with --force, and only if it is an adapter dir (or empty)."""
    if not out.exists():
        return
    if not force:
        raise FolderError(f"output {str(out)!r} already exists; pass --force to replace it")
    if out.is_file() or (any(out.iterdir()) and not (out / "adapter_config.json").is_file()):
        raise FolderError(
            f"output {str(out)!r} is not an adapter dir; refusing to replace it even with --force"
        )


def work_dir_for(out: Path) -> Path:
    return out.parent / (out.name + ".work")


def score(
    ds: Dataset, docs: list[LabelledDoc], model: str | None, engine: str, out: Path, progress: bool
) -> dict | None:
    """F1 of `model` on the held-out documents with the eval code (resumable)."""
    if not docs:
        return None
    from ..evaluation import EvalConfig, run_eval

    cfg = EvalConfig(dataset=str(ds.root), model=model, engine=engine)
    sub = Dataset(name=ds.name, root=ds.root, docs=docs)
    return run_eval(cfg, out=out, progress=progress, dataset=sub)["summary"]


def _lock(work: Path):
    """An exclusive lock on the work dir: two runs on one output would train into one XTuner dir."""
    import fcntl

    f = (work / ".lock").open("w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise FolderError(
            f"another `chatocr finetune` is writing {str(work)!r}; wait for it or stop it"
        ) from None
    return f


def _fingerprint(opts: Options, recipe: Recipe, train_docs, n_samples: int, steps: int) -> str:
    d = {
        "folder": str(opts.folder.resolve()),
        "train": [x.image for x in train_docs],
        "start": recipe.start,
        "steps": steps,
        "seed": opts.seed,
        "samples": n_samples,
        "synthetic": str(opts.synthetic),
        "share": opts.synthetic_share,
        "engine": opts.engine,
    }
    return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def preflight(opts: Options) -> tuple[FolderReport, Recipe]:
    """What `--check` runs and every run starts with: the output may be written, the folder is
    sound (FolderError naming every problem), the start (--model) resolves. No OCR, no model."""
    check_output(opts.output.expanduser().resolve(), opts.force)
    return check_folder(opts.folder), resolve_start(opts.model)


def finetune(opts: Options) -> dict:
    """The whole run; returns what PROVENANCE.md records."""
    from ..evaluation.runner import OcrCache, build_pipeline

    t_start = time.time()
    # absolute: XTuner runs in the work dir
    out = opts.output.expanduser().resolve()
    report, recipe = preflight(opts)
    ds = report.dataset
    for w in report.warnings:
        _say(f"warning: {w}")
    train_docs, hold_docs = split_holdout(ds.docs, opts.holdout, opts.seed)
    if opts.holdout > 0 and not hold_docs:
        _say(
            f"warning: {len(ds.docs)} documents are too few to hold out {opts.holdout:.0%}; no before/after score"
        )
    _say(
        f"{len(ds.docs)} documents: {len(train_docs)} to train on, {len(hold_docs)} held out; starting from {recipe.start}"
    )

    # OCR once per document (the eval's cache: a second run or `chatocr eval` reads it back)
    from tqdm import tqdm

    from ..evaluation import EvalConfig
    from ..settings import Settings

    engine_name = opts.engine or Settings().ocr_engine
    pipe = build_pipeline(EvalConfig(dataset=str(ds.root), engine=engine_name), load_llm=False)
    cache = OcrCache()
    ocrs = []
    for doc in tqdm(ds.docs, desc="ocr", unit="doc", disable=not opts.progress, file=sys.stderr):
        ocrs.append(cache.get(doc.path, pipe)[0])
    by_image = dict(zip((d.image for d in ds.docs), ocrs, strict=True))
    engine_name = pipe.ocr_engine.name

    user, kinds = build_samples(train_docs, [by_image[d.image] for d in train_docs], opts.seed)
    synth_path = (
        opts.synthetic
        if opts.synthetic is not None
        else (default_synthetic() if opts.synthetic_share > 0 else None)
    )
    synth, stale = ([], 0)
    if synth_path is None and opts.synthetic_share > 0:
        _say(
            "warning: no synthetic samples to mix in (an installed package ships none); pass --synthetic "
            "FILE (a generate_data train.jsonl) to keep the model's other skills, or --synthetic-share 0"
        )
    if synth_path is not None and opts.synthetic_share > 0:
        if not Path(synth_path).is_file():
            raise FolderError(f"--synthetic {str(synth_path)!r} is not a file")
        synth, stale = load_synthetic(Path(synth_path))
        if stale:
            _say(f"skipped {stale} synthetic samples written with another system prompt")
    mixed_synth = mix_synthetic(user, synth, opts.synthetic_share, opts.seed)
    samples = user + mixed_synth
    random.Random(f"order-{opts.seed}").shuffle(samples)
    steps = opts.steps or DEFAULT_EPOCHS * len(samples)
    _say(
        f"{len(user)} samples from your documents + {len(mixed_synth)} synthetic; {steps} steps "
        f"(~{steps * SECONDS_PER_STEP / 60:.0f} min at ~{SECONDS_PER_STEP:.0f} s/step on a CPU)"
    )

    work = work_dir_for(out)
    work.mkdir(parents=True, exist_ok=True)
    lock = _lock(work)  # noqa: F841 (held until this function returns)
    fp = _fingerprint(opts, recipe, train_docs, len(samples), steps)
    state = work / "state.json"
    if state.is_file() and json.loads(state.read_text()).get("fingerprint") != fp:
        _say(f"{work} holds a run with other settings; starting its training over")
        shutil.rmtree(work / "xtuner", ignore_errors=True)
        shutil.rmtree(work / "eval", ignore_errors=True)
        (work / "init_from_adapter.pth").unlink(missing_ok=True)
    state.write_text(json.dumps({"fingerprint": fp}) + "\n")
    data = work / "train.jsonl"
    data.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples), encoding="utf-8")

    xtuner.prepare(recipe, work)
    init = xtuner.init_checkpoint(recipe, work)
    t_train = time.time()
    ckpt = xtuner.train(recipe, work, data, steps, opts.seed, init, opts.progress, opts.verbose)
    train_minutes = (time.time() - t_train) / 60
    tmp = out.with_name(out.name + ".tmp")
    xtuner.to_adapter(recipe, ckpt, tmp, work)

    before_model = str(recipe.adapter) if recipe.adapter is not None else recipe.model_name
    before = score(ds, hold_docs, before_model, engine_name, work / "eval" / "before.json", opts.progress)
    after = score(ds, hold_docs, str(tmp.resolve()), engine_name, work / "eval" / "after.json", opts.progress)

    info = {
        "folder": str(opts.folder.resolve()),
        "documents": len(ds.docs),
        "train_documents": [d.image for d in train_docs],
        "holdout_documents": [d.image for d in hold_docs],
        "holdout": opts.holdout,
        "fields": list(dict.fromkeys(k for d in ds.docs for k in d.fields)),
        "samples": {"user": len(user), **dict(kinds), "synthetic": len(mixed_synth), "total": len(samples)},
        "synthetic_file": str(synth_path) if synth_path and mixed_synth else None,
        "synthetic_share": opts.synthetic_share,
        "start": recipe.start,
        "base": recipe.model_name,
        "lora": recipe.lora or "the recipe's (fresh LoRA)",
        "config": recipe.config.name,
        "steps": steps,
        "seed": opts.seed,
        "engine": engine_name,
        "train_minutes": round(train_minutes, 1),
        "total_minutes": round((time.time() - t_start) / 60, 1),
        "before": before,
        "after": after,
    }
    (tmp / "PROVENANCE.md").write_text(provenance(info), encoding="utf-8")
    (tmp / "finetune.json").write_text(
        json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    info["output"] = str(out)
    # the adapter is complete: drop the checkpoints (tens of MB each); samples, logs and scores stay
    shutil.rmtree(work / "xtuner", ignore_errors=True)
    (work / "init_from_adapter.pth").unlink(missing_ok=True)
    return info
