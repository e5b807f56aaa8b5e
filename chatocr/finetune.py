"""Fine-tune the embedded model on a user's own labelled documents (`chatocr finetune`).

A folder in the evaluation-set format (`img/` + `labels.jsonl`, see chatocr.evaluation.dataset) is
checked as a whole, OCRed once per document through the pipeline's engine (the eval's OCR cache),
turned into training samples by the one prompt builder (`llm_stage.prompt.xtuner_sample`), mixed
with a share of synthetic samples, and trained as a LoRA with XTuner on top of the starting adapter
(its weights loaded into XTuner's fresh LoRA through `scripts/adapter_to_mmengine.py`). A share of the
documents is held out and scored before and after with the eval code. Every stage resumes: the OCR
from its cache, training from XTuner's last checkpoint in `<output>.work/`, the scoring from its
partial log.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .evaluation.dataset import Dataset, DatasetError, LabelledDoc, load_dataset

REPO_ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pdf"}
MIN_DOCUMENTS = 5  # fewer than this: a warning, not a refusal
DEFAULT_EPOCHS = 2  # --steps default: passes over the mixed samples
SECONDS_PER_STEP = 9.0  # measured XTuner CPU step of the embedded model (ETA before the first step)


class FolderError(DatasetError):
    """The labelled folder does not match its images; the message lists every problem."""


class FinetuneError(RuntimeError):
    """Training or conversion failed; the message names the log to read."""


# ------------------------------------------------------------------------------ the folder


def check_folder(folder: str | Path) -> Dataset:
    """The labelled documents of `folder`, or FolderError naming every problem at once: no
    labels.jsonl, malformed lines, images that are missing, images without a label line, the same
    image labelled twice, lines with no labelled field."""
    root = Path(folder)
    if not root.is_dir():
        raise FolderError(f"{str(root)!r} is not a folder (expected img/ and labels.jsonl)")
    labels = root / "labels.jsonl"
    if not labels.is_file():
        raise FolderError(f"{str(root)!r} has no labels.jsonl (expected img/ and labels.jsonl)")
    problems: list[str] = []
    labelled: dict[Path, int] = {}
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"labels.jsonl:{n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not JSON ({e.msg})")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("image"), str) or not rec["image"]:
            problems.append(f'{where}: no "image" (expected {{"image": "img/x.jpg", "fields": {{...}}}})')
            continue
        image = rec["image"]
        fields = rec.get("fields")
        if not isinstance(fields, dict):
            problems.append(f'{where}: "fields" is missing or not an object ({image})')
        elif not any(
            isinstance(v, str) and v.strip() or isinstance(v, (int, float, list, dict))
            for v in fields.values()
        ):
            problems.append(
                f"{where}: no labelled field value ({image}: {json.dumps(fields, ensure_ascii=False)})"
            )
        elif any(not str(k).strip() for k in fields):
            problems.append(f"{where}: an empty field name ({image})")
        path = (root / image).resolve()
        if not (root / image).is_file():
            problems.append(f"{where}: image {image!r} not found")
        elif path in labelled:
            problems.append(f"{where}: image {image!r} is already labelled on line {labelled[path]}")
        else:
            labelled[path] = n
    on_disk = [
        p for p in sorted((root / "img").rglob("*")) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    ]
    for p in on_disk:
        if p.resolve() not in labelled:
            problems.append(f"{p.relative_to(root)}: image without a label line")
    if not labelled and not problems:
        problems.append("labels.jsonl has no label lines")
    if problems:
        shown = problems[:30] + ([f"… and {len(problems) - 30} more"] if len(problems) > 30 else [])
        raise FolderError(
            f"{str(root)!r}: {len(problems)} problem(s) with the labels:\n  " + "\n  ".join(shown)
        )
    return load_dataset(root)


def split_holdout(
    docs: list[LabelledDoc], share: float, seed: int
) -> tuple[list[LabelledDoc], list[LabelledDoc]]:
    """(train, held out): round(share x documents) held out, chosen by `seed` (at least 1 trains)."""
    n_hold = min(int(len(docs) * share + 0.5), len(docs) - 1) if share > 0 else 0
    order = list(range(len(docs)))
    random.Random(f"holdout-{seed}").shuffle(order)
    hold = set(order[:n_hold])
    return [d for i, d in enumerate(docs) if i not in hold], [d for i, d in enumerate(docs) if i in hold]


# ------------------------------------------------------------------------------ samples


def document_queries(
    doc: LabelledDoc, other_names: list[str], rng: random.Random
) -> list[tuple[list[str], dict]]:
    """The field lists one document is asked (with its labels as answers): every labelled field in
    order, two shuffled subsets, and one list holding a field the document lacks (null), named as
    another document of the folder names it."""
    names = list(doc.fields)
    queries = [(names, dict(doc.fields))]
    for _ in range(2):
        if len(names) < 2:
            break
        sub = rng.sample(names, rng.randint(1, len(names)))
        queries.append((sub, {k: doc.fields[k] for k in sub}))
    absent = [n for n in other_names if n not in doc.fields]
    if absent:
        extra = rng.choice(absent)
        sub = rng.sample(names, rng.randint(1, len(names)))
        sub.insert(rng.randint(0, len(sub)), extra)
        queries.append((sub, {**{k: doc.fields[k] for k in sub if k != extra}, extra: None}))
    return queries


def build_samples(docs: list[LabelledDoc], ocrs: list, seed: int) -> tuple[list[dict], Counter]:
    """XTuner samples of the documents, written by the one prompt builder from each OCR result;
    targets snapped to what the OCR read (serving copies values out of the OCR text)."""
    from generate_data.build import snap_answer
    from llm_stage.prompt import xtuner_sample
    from llm_stage.types import FieldQuery

    all_names = list(dict.fromkeys(k for d in docs for k in d.fields))
    rng = random.Random(f"samples-{seed}")
    samples, kinds = [], Counter()
    for doc, ocr in zip(docs, ocrs, strict=True):
        text = str(ocr.to_text())
        for names, answer in document_queries(doc, all_names, rng):
            samples.append(xtuner_sample(ocr, FieldQuery(fields=names), snap_answer(answer, text)))
            kinds[
                "with absent field"
                if any(v is None and k not in doc.fields for k, v in answer.items())
                else "labelled fields"
            ] += 1
    return samples, kinds


def default_synthetic() -> Path | None:
    for p in (REPO_ROOT / "datasets/generated/v3/train.jsonl", REPO_ROOT / "datasets/data.json"):
        if p.is_file():
            return p
    return None


def load_synthetic(path: Path) -> tuple[list[dict], int]:
    """(samples written with today's system prompt, how many others were skipped): a stale file
    from an older prompt would teach the model another prompt than the one served."""
    from llm_stage.prompt import SYSTEM_PROMPT

    text = path.read_text(encoding="utf-8")
    rows = (
        json.loads(text)
        if text.lstrip().startswith("[")
        else [json.loads(x) for x in text.splitlines() if x.strip()]
    )
    keep = [r for r in rows if r.get("conversation") and r["conversation"][0].get("system") == SYSTEM_PROMPT]
    return keep, len(rows) - len(keep)


def mix_synthetic(user: list[dict], synthetic: list[dict], share: float, seed: int) -> list[dict]:
    """`share` of the mixed samples drawn from `synthetic` (deterministic by seed)."""
    if share <= 0 or not synthetic:
        return []
    k = min(len(synthetic), round(len(user) * share / (1 - share)))
    return random.Random(f"synthetic-{seed}").sample(synthetic, k)


# ------------------------------------------------------------------------------ the model


@dataclass
class Recipe:
    """Where a run starts and how XTuner trains it."""

    model_name: str  # the embedded model (registry name), written as the adapter's base
    start: str  # what --model resolved to, for PROVENANCE
    adapter: Path | None  # the adapter whose weights start the LoRA (None: a fresh LoRA)
    config: str
    venv: str
    setup: str
    base_dir: Path  # the transformers-5 model dir
    xbase: Path  # its copy that XTuner's transformers reads
    lora: dict = field(default_factory=dict)  # r, lora_alpha, lora_dropout, target_modules


RECIPES = {
    "smollm2-135m-instruct": (
        "xtuner_config/smollm2_135m_lora_cpu.py",
        ".venv-xtuner",
        "scripts/setup_xtuner.sh",
    ),
    "gemma3-270m": (
        "xtuner_config/gemma3_270m_lora_cpu.py",
        ".venv-xtuner-gemma",
        "scripts/setup_xtuner_gemma.sh",
    ),
}


def resolve_start(model: str | None) -> Recipe:
    """--model: an adapter dir, an embedded model's name (a fresh LoRA on its base), 'NAME+lora' or
    nothing (the default model's shipped adapter)."""
    from llm_stage.embedded import (
        EmbeddedModelError,
        adapter_base,
        get_model,
        is_embedded_name,
        shipped_adapter,
    )

    m = (model or "").strip()
    try:
        if m in ("", "default"):
            spec = get_model(None)
            adapter = shipped_adapter(spec.name)
        elif m.endswith("+lora") and is_embedded_name(m[:-5]):
            spec = get_model(m[:-5])
            adapter = shipped_adapter(spec.name)
            if adapter is None:
                raise FolderError(f"no fine-tuned adapter is shipped for {spec.name}")
        elif is_embedded_name(m):
            spec, adapter = get_model(m), None
        elif (Path(m).expanduser() / "adapter_config.json").is_file():
            adapter = Path(m).expanduser().resolve()
            spec = adapter_base(adapter) or get_model(None)
        else:
            raise FolderError(
                f"--model {m!r}: give a LoRA adapter dir (with adapter_config.json) or an embedded model's "
                "name (smollm2-135m-instruct, gemma3-270m); a full model dir cannot be fine-tuned here"
            )
    except EmbeddedModelError as e:
        raise FolderError(str(e)) from None
    if spec.name not in RECIPES:
        raise FolderError(f"no XTuner recipe for {spec.name}")
    config, venv, setup = RECIPES[spec.name]
    lora = {}
    if adapter is not None:
        cfg = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
        lora = {
            "r": cfg["r"],
            "lora_alpha": cfg["lora_alpha"],
            "lora_dropout": cfg.get("lora_dropout", 0.05),
            "target_modules": sorted(cfg["target_modules"]),
        }
    from llm_stage.embedded import models_dir

    return Recipe(
        model_name=spec.name,
        start=str(adapter) if adapter is not None else spec.name + " (a fresh LoRA)",
        adapter=adapter,
        config=config,
        venv=venv,
        setup=setup,
        base_dir=models_dir().resolve() / spec.dirname,
        xbase=models_dir().resolve() / (spec.dirname + "-xtuner"),
        lora=lora,
    )


# ------------------------------------------------------------------------------ the run


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


def _xtuner_env(recipe: Recipe) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["PATH"] = f"{REPO_ROOT / recipe.venv / 'bin'}:{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


def _run(cmd: list[str], recipe: Recipe, log: Path, what: str) -> None:
    with log.open("a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        p = subprocess.run(cmd, cwd=REPO_ROOT, env=_xtuner_env(recipe), stdout=f, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise FinetuneError(f"{what} exited {p.returncode}; its output is in {log}:\n{_tail(log)}")


def _tail(log: Path, n: int = 15) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-n:])


def prepare_xtuner(recipe: Recipe, work: Path) -> None:
    """The XTuner venv (idempotent) and the base model in the form its transformers reads."""
    log = work / "setup.log"
    _run(["bash", recipe.setup], recipe, log, recipe.setup)
    from llm_stage.embedded import prepare_embedded_model

    prepare_embedded_model(verbose=False, name=recipe.model_name)
    xpy = str(REPO_ROOT / recipe.venv / "bin" / "python")
    _run(
        [xpy, "scripts/xtuner_run.py", "prepare-base", str(recipe.base_dir), str(recipe.xbase)],
        recipe,
        log,
        "prepare-base",
    )


def init_checkpoint(recipe: Recipe, work: Path) -> Path | None:
    """The starting adapter as an mmengine checkpoint, its keys checked against XTuner's model."""
    if recipe.adapter is None:
        return None
    pth = work / "init_from_adapter.pth"
    _run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "adapter_to_mmengine.py"),
            "--prepare",
            str(recipe.adapter),
            str(pth),
            str(REPO_ROOT / recipe.venv / "bin" / "python"),
            str(recipe.xbase),
        ],
        recipe,
        work / "setup.log",
        "converting and checking the starting adapter",
    )
    return pth


def _cfg_options(recipe: Recipe, data: Path, steps: int, seed: int, init: Path | None) -> list[str]:
    x = str(recipe.xbase)
    opts = [
        f"train_dataloader.dataset.dataset.data_files.train={data}",
        f"tokenizer.pretrained_model_name_or_path={x}",
        f"model.llm.pretrained_model_name_or_path={x}",
        f"train_dataloader.dataset.tokenizer.pretrained_model_name_or_path={x}",
        f"custom_hooks.0.tokenizer.pretrained_model_name_or_path={x}",
        # no validation file: a few documents are trained for a fixed number of steps, and the
        # held-out documents are scored by F1 at the end instead of steering the run
        f"custom_hooks.1.val_file={data.parent / 'no-validation-file'}",
        f"train_cfg.max_iters={steps}",
        "train_cfg.max_epochs=None",
        f"randomness.seed={seed}",
        "default_hooks.logger.interval=1",
        f"default_hooks.checkpoint.interval={max(1, min(50, steps // 4))}",
        "default_hooks.checkpoint.max_keep_ckpts=2",
    ]
    for k, v in recipe.lora.items():
        opts.append(f"model.lora.{k}={','.join(v) if isinstance(v, list) else v}")
    if init is not None:
        opts.append(f"load_from={init}")
    return opts


_ITER = re.compile(r"Iter\(train\)\s*\[\s*(\d+)\s*/\s*(\d+)\]")


def train(
    recipe: Recipe,
    work: Path,
    data: Path,
    steps: int,
    seed: int,
    init: Path | None,
    progress: bool,
    verbose: bool,
) -> Path:
    """XTuner training (resumed from its last checkpoint); returns the final checkpoint."""
    from tqdm import tqdm

    xwork = work / "xtuner"
    done = xwork / "finished"
    last = xwork / "last_checkpoint"
    if done.is_file() and last.is_file():
        _say(f"training already finished ({last.read_text().strip()})")
        return Path(last.read_text().strip())
    xwork.mkdir(parents=True, exist_ok=True)
    xpy = str(REPO_ROOT / recipe.venv / "bin" / "python")
    cmd = [xpy, "scripts/xtuner_run.py", "train", recipe.config, "--work-dir", str(xwork)]
    start = 0
    if last.is_file() and Path(last.read_text().strip()).is_file():
        ckpt = last.read_text().strip()
        start = int(re.search(r"iter_(\d+)", ckpt).group(1)) if re.search(r"iter_(\d+)", ckpt) else 0
        _say(f"resuming training from {ckpt} (step {start}/{steps})")
        cmd += ["--resume", ckpt]
    cmd += ["--cfg-options", *_cfg_options(recipe, data, steps, seed, init)]
    log = work / "train.log"
    bar = tqdm(total=steps, initial=start, desc="train", unit="step", disable=not progress, file=sys.stderr)
    with log.open("a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        p = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=_xtuner_env(recipe), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", bufsize=1,
        )  # fmt: skip
        assert p.stdout is not None
        for line in p.stdout:
            f.write(line)
            f.flush()
            if verbose:
                sys.stderr.write(line)
            m = _ITER.search(line)
            if m:
                bar.update(max(0, int(m.group(1)) - bar.n))
        rc = p.wait()
    bar.close()
    if rc != 0 or not last.is_file():
        raise FinetuneError(f"XTuner training exited {rc}; its output is in {log}:\n{_tail(log)}")
    done.write_text(last.read_text())
    return Path(last.read_text().strip())


def to_adapter(recipe: Recipe, ckpt: Path, dst: Path, work: Path) -> None:
    """pth_to_hf into `dst`, the adapter's base named like the shipped one (portable)."""
    shutil.rmtree(dst, ignore_errors=True)
    xpy = str(REPO_ROOT / recipe.venv / "bin" / "python")
    x = str(recipe.xbase)
    opts = [f"model.llm.pretrained_model_name_or_path={x}", f"tokenizer.pretrained_model_name_or_path={x}"]
    opts += [f"model.lora.{k}={','.join(v) if isinstance(v, list) else v}" for k, v in recipe.lora.items()]
    cmd = [
        xpy,
        "scripts/xtuner_run.py",
        "pth_to_hf",
        recipe.config,
        str(ckpt),
        str(dst),
        "--fp32",
        "--safe-serialization",
        "--cfg-options",
        *opts,
    ]
    _run(cmd, recipe, work / "convert.log", "pth_to_hf")
    cfg_path = dst / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["base_model_name_or_path"] = recipe.model_name
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    for extra in ("xtuner_config.py", "README.md"):
        (dst / extra).unlink(missing_ok=True)


def score(
    ds: Dataset, docs: list[LabelledDoc], model: str | None, engine: str, out: Path, progress: bool
) -> dict | None:
    """F1 of `model` on the held-out documents with the eval code (resumable)."""
    if not docs:
        return None
    from .evaluation import EvalConfig, run_eval

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


def finetune(opts: Options) -> dict:
    """The whole run; returns what PROVENANCE.md records."""
    from .evaluation.runner import OcrCache, build_pipeline

    t_start = time.time()
    # absolute: XTuner runs with the repository as its working directory
    out = opts.output.expanduser().resolve()
    check_output(out, opts.force)
    ds = check_folder(opts.folder)
    recipe = resolve_start(opts.model)
    if len(ds.docs) < MIN_DOCUMENTS:
        _say(
            f"warning: only {len(ds.docs)} labelled documents; {MIN_DOCUMENTS} or more give a model that generalises"
        )
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

    from .evaluation import EvalConfig
    from .settings import Settings

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

    prepare_xtuner(recipe, work)
    init = init_checkpoint(recipe, work)
    t_train = time.time()
    ckpt = train(recipe, work, data, steps, opts.seed, init, opts.progress, opts.verbose)
    train_minutes = (time.time() - t_train) / 60
    tmp = out.with_name(out.name + ".tmp")
    to_adapter(recipe, ckpt, tmp, work)

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
        "config": recipe.config,
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


def _f1(summary: dict | None, name: str | None = None) -> str:
    if not summary:
        return "–"
    if name is None:
        v = summary.get("overall", {}).get("f1")
    else:
        v = summary.get("fields", {}).get(name, {}).get("f1")
    return "–" if v is None else f"{v:.3f}"


def provenance(info: dict) -> str:
    s = info["samples"]
    lines = [
        "# Provenance of this adapter",
        "",
        "Made by `chatocr finetune` from a folder of labelled documents, on top of the adapter named below.",
        "",
        "## Data",
        f"- folder: `{info['folder']}` ({info['documents']} documents; fields {', '.join(info['fields'])})",
        f"- trained on {len(info['train_documents'])} documents, held out {len(info['holdout_documents'])} "
        f"(--holdout {info['holdout']}, chosen by --seed {info['seed']}): "
        + (", ".join(info["holdout_documents"]) or "none"),
        f"- samples: {s['user']} from these documents ({s.get('labelled fields', 0)} asking labelled fields: all "
        f"in order and shuffled subsets; {s.get('with absent field', 0)} with a field the document lacks, "
        "answered null), written by `llm_stage.prompt.xtuner_sample` from the OCR result, targets snapped "
        "to the OCR text",
        f"- synthetic: {s['synthetic']} samples from `{info['synthetic_file']}` (--synthetic-share {info['synthetic_share']})"
        if s["synthetic"]
        else "- synthetic: none",
        f"- OCR engine: {info['engine']}",
        "",
        "## Training",
        f"- start: {info['start']} (base {info['base']}); LoRA {info['lora']}",
        f"- XTuner recipe `{info['config']}`, {info['steps']} steps at batch 1, seed {info['seed']}",
        f"- {info['train_minutes']} min of training, {info['total_minutes']} min in all",
        "",
        "## Held-out documents: before / after (micro F1, `chatocr.evaluation`)",
    ]
    if info["before"] is None:
        lines.append("- no documents held out: no score")
    else:
        lines += ["", "| field | before | after |", "|---|---|---|"]
        for name in info["fields"]:
            lines.append(f"| {name} | {_f1(info['before'], name)} | {_f1(info['after'], name)} |")
        lines.append(f"| **all** | {_f1(info['before'])} | {_f1(info['after'])} |")
    return "\n".join(lines) + "\n"
