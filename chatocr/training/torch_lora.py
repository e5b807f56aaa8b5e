"""LoRA fine-tuning of the embedded model in plain PyTorch + transformers + peft (no XTuner, no
mmengine), for a machine where XTuner's venv cannot be built (a GPU machine without a package
registry) and as a faster CPU path with the main venv's packages.

It trains on the samples XTuner trains on (`{"conversation": [{"system", "input", "output"}]}`,
written by `llm_stage.prompt.xtuner_sample`; JSONL or a JSON list) with the CPU recipe's settings as
defaults (`chatocr/training/xtuner_config/_base_/cpu_lora.py`): LoRA r=8, alpha=16, dropout 0.05 on
q/k/v/o/gate/up/down projections; AdamW lr 5e-4 (betas 0.9/0.999, no weight decay, gradient norm
clipped at 1) after a 10-iteration linear warm-up from 5% (mmengine's LinearLR, step for step), then
constant; max_length 1536; data order per epoch `torch.randperm(n, seed + epoch)` as mmengine's
DefaultSampler draws it, so at batch 1 the samples come in XTuner's order.

- The prompt is tokenised by `llm_stage.backends.transformers_backend.chat_prompt_ids`, the function
  the serving backend builds its prompts with; then the answer (encoded on its own, as XTuner does),
  the end-of-turn token and the template's newline. The loss covers the answer and the end-of-turn
  token only. A sample longer than max_length is cut at max_length as XTuner cuts it (the end of
  its answer is lost); one with no answer token left is dropped. Both are counted in train_info.json.
- Logits are computed only where a label is (the answer's positions): the same loss as the full
  LM head's, without projecting ~1500 prompt positions onto the 49k vocabulary.
- Validation: the mean per-sample loss on the first `--val-samples` of `--val` every `--val-every`
  iterations (ValLossHook's measure), the curve in `<work>/val_curve.jsonl`; the best adapter is kept
  (`<work>/best`); `--patience` evaluations without an improvement of `--min-delta` stop the run,
  but not before `--min-epochs` epochs (a loss on a few dozen samples is noisy, and a run stopped
  by it early has seen a fraction of its data).
- Resumable: `<work>/last.pt` (LoRA weights, optimizer, position in the data, random states, curve
  state) every `--save-every` iterations and at a stop; the same command continues from it.
- An iteration is one optimizer step: `--batch-size` samples (length-bucketed, right-padded) times
  `--grad-accum` micro-batches. bf16 autocast on CUDA, fp32 on a CPU.

The output directory is a peft adapter that `chatocr extract -m DIR` serves: adapter_config.json
names the embedded model as its base (`--base-name`), `prompt.json` the layout when not the default,
and train_info.json says how it was made.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

IGNORE = -100
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# end-of-turn tokens of the chat templates served (ChatML for SmolLM2, Gemma's turn marker)
END_OF_TURN = ("<|im_end|>", "<end_of_turn>")


@dataclass
class TrainArgs:
    """Everything a run depends on (saved in train_info.json; the resume check compares FINGERPRINT)."""

    data: str
    out: str
    val: str | None = None
    steps: str = "auto"  # an iteration count, or "auto": up to `epochs`, stopped by the val loss
    init: str | None = None  # a peft adapter dir whose LoRA training continues (its r/alpha)
    lr: float = 5e-4
    seed: int = 1234
    batch_size: int = 1
    grad_accum: int = 1
    layout: str = "rows"
    device: str = "auto"
    base: str | None = None  # base model dir (default: the embedded model's converted dir)
    base_name: str = "smollm2-135m-instruct"  # written as the adapter's base_model_name_or_path
    max_length: int = 1536
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    warmup: int = 10
    epochs: int = 3
    val_every: int = 100
    val_samples: int = 48
    patience: int = 3
    min_delta: float = 0.002
    min_epochs: float = 0.0  # the validation loss stops no run before this many epochs
    save_every: int = 0  # 0: at every validation (val_every)
    time_limit: float = 0.0  # seconds of wall clock for the whole run (0: none); stops and saves in time
    work: str | None = None  # checkpoints, curve, log (default: OUT.work)
    use_last: bool = False  # the last weights rather than the best by val loss
    threads: int = 0
    extra: dict = field(default_factory=dict)


# what must match for a run to resume a checkpoint
FINGERPRINT = ("data", "init", "seed", "batch_size", "grad_accum", "max_length", "rank", "alpha", "dropout")


class TrainError(RuntimeError):
    """Bad input or a checkpoint of another run; the message says what to change."""


# ---------------------------------------------------------------------------- data
def read_samples(path: str | Path) -> list[dict]:
    """XTuner samples from JSONL or a JSON list."""
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sample_messages(sample: dict) -> tuple[list[dict[str, str]], str]:
    """The served messages (system + user) and the target answer of a single-turn sample."""
    conv = sample["conversation"]
    if len(conv) != 1:
        raise TrainError(f"only single-turn samples are trained; got {len(conv)} turns")
    turn = conv[0]
    msgs = []
    if turn.get("system"):
        msgs.append({"role": "system", "content": turn["system"]})
    msgs.append({"role": "user", "content": turn["input"]})
    return msgs, turn["output"]


def end_of_turn(tokenizer) -> tuple[int, list[int]]:
    """(the token that closes the assistant's turn, with loss; the ids after it, without loss):
    `<|im_end|>` + "\\n" for ChatML, as XTuner's SUFFIX_AS_EOS/SEP render it."""
    vocab = tokenizer.get_vocab()
    for t in END_OF_TURN:
        if t in vocab:
            return vocab[t], tokenizer.encode("\n", add_special_tokens=False)
    return tokenizer.eos_token_id, []


def encode_sample(
    tokenizer, sample: dict, max_length: int, eot: tuple[int, list[int]] | None = None
) -> tuple[list[int], list[int], bool] | None:
    """(input ids, labels, truncated) of one sample, or None when nothing of the answer fits.
    `eot`: `end_of_turn(tokenizer)` when the caller has it (it reads the whole vocabulary)."""
    from llm_stage.backends.transformers_backend import chat_prompt_ids

    msgs, output = sample_messages(sample)
    prompt = chat_prompt_ids(tokenizer, msgs)
    answer = tokenizer.encode(output, add_special_tokens=False)
    end, sep = eot or end_of_turn(tokenizer)
    ids = prompt + answer + [end] + sep
    labels = [IGNORE] * len(prompt) + answer + [end] + [IGNORE] * len(sep)
    truncated = len(ids) > max_length
    ids, labels = ids[:max_length], labels[:max_length]
    if all(x == IGNORE for x in labels[1:]):  # labels[0] is never predicted
        return None
    return ids, labels, truncated


@dataclass
class Encoded:
    ids: list[list[int]]
    labels: list[list[int]]
    truncated: int = 0
    dropped: int = 0


def encode_file(tokenizer, path: str | Path, max_length: int, limit: int | None = None) -> Encoded:
    enc = Encoded([], [])
    eot = end_of_turn(tokenizer)
    for s in read_samples(path):
        if limit is not None and len(enc.ids) >= limit:
            break
        r = encode_sample(tokenizer, s, max_length, eot)
        if r is None:
            enc.dropped += 1
            continue
        enc.ids.append(r[0])
        enc.labels.append(r[1])
        enc.truncated += r[2]
    return enc


def epoch_batches(lengths: list[int], epoch: int, seed: int, batch_size: int) -> list[list[int]]:
    """One epoch's micro-batches (sample indices). Batch 1: mmengine DefaultSampler's order
    (randperm seeded with seed + epoch). Larger batches: that order cut into windows of 64 batches,
    each sorted by length into batches (little padding), the batches then shuffled (same seed)."""
    import torch

    g = torch.Generator()
    g.manual_seed(seed + epoch)
    order = torch.randperm(len(lengths), generator=g).tolist()
    if batch_size <= 1:
        return [[i] for i in order]
    window = batch_size * 64
    batches = []
    for w in range(0, len(order), window):
        part = sorted(order[w : w + window], key=lambda i: -lengths[i])
        batches += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    perm = torch.randperm(len(batches), generator=g).tolist()
    return [batches[i] for i in perm]


def collate(enc: Encoded, idx: list[int], pad_id: int, device):
    import torch

    n = max(len(enc.ids[i]) for i in idx)
    ids = torch.full((len(idx), n), pad_id, dtype=torch.long)
    labels = torch.full((len(idx), n), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(idx), n), dtype=torch.long)
    for r, i in enumerate(idx):
        k = len(enc.ids[i])
        ids[r, :k] = torch.tensor(enc.ids[i])
        labels[r, :k] = torch.tensor(enc.labels[i])
        mask[r, :k] = 1
    return ids.to(device), mask.to(device), labels.to(device)


# ---------------------------------------------------------------------------- model
def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TrainError("--device cuda: torch sees no CUDA device")
    return device


def resolve_base(args: TrainArgs) -> Path:
    if args.base:
        p = Path(args.base)
        if not (p / "config.json").is_file():
            raise TrainError(f"--base {args.base}: no config.json there")
        return p
    from llm_stage.embedded import prepare_embedded_model

    return prepare_embedded_model(verbose=True, name=args.base_name)


def build_model(args: TrainArgs, base: Path, device: str):
    """The base in fp32 with a LoRA: fresh (seeded), or the --init adapter's, trainable."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    model.config.use_cache = False
    torch.manual_seed(args.seed)
    if args.init:
        if not (Path(args.init) / "adapter_config.json").is_file():
            raise TrainError(f"--init {args.init}: not a peft adapter dir (no adapter_config.json)")
        model = PeftModel.from_pretrained(model, args.init, is_trainable=True)
    else:
        cfg = LoraConfig(
            r=args.rank,
            lora_alpha=args.alpha,
            lora_dropout=args.dropout,
            target_modules=list(TARGETS),
            bias="none",
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, cfg)
    return model.to(device)


def batch_losses(model, ids, mask, labels):
    """(summed token loss, answer tokens, per-sample mean losses) of a padded batch; logits only at
    the labelled positions."""
    import torch
    import torch.nn.functional as F

    core = model.get_base_model()
    hidden = core.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
    target = labels[:, 1:]
    sel = target != IGNORE
    logits = core.get_output_embeddings()(hidden[:, :-1][sel]).float()
    cap = getattr(core.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    ce = F.cross_entropy(logits, target[sel], reduction="none")
    rows = sel.nonzero()[:, 0]
    per = torch.zeros(ids.shape[0], device=ce.device).index_add_(0, rows, ce.detach())
    counts = sel.sum(1).clamp(min=1)
    return ce.sum(), int(sel.sum()), (per / counts).tolist()


def autocast(device: str):
    import torch

    if device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def val_loss(model, enc: Encoded, batch_size: int, pad_id: int, device: str) -> float:
    """ValLossHook's measure: the mean over samples of each sample's mean answer-token loss."""
    import torch

    was = model.training
    model.eval()
    losses: list[float] = []
    order = sorted(range(len(enc.ids)), key=lambda i: -len(enc.ids[i]))
    try:
        with torch.no_grad(), autocast(device):
            for b in range(0, len(order), max(1, batch_size)):
                idx = order[b : b + max(1, batch_size)]
                losses += batch_losses(model, *collate(enc, idx, pad_id, device))[2]
    finally:
        model.train(was)
    return sum(losses) / max(1, len(losses))


def lr_factor(step: int, warmup: int) -> float:
    """mmengine LinearLR(start_factor=0.05, begin=0, end=warmup) at 0-based iteration `step`: linear
    over end - begin - 1 steps (mmengine's total_iters), so the base rate is reached at step
    warmup - 1 (iteration 5 of 10 runs at 0.472 of it, as XTuner's log shows), then 1."""
    if warmup <= 1 or step >= warmup - 1:
        return 1.0
    return 0.05 + 0.95 * step / (warmup - 1)


# ---------------------------------------------------------------------------- outputs
def save_adapter(model, dst: Path, args: TrainArgs) -> None:
    """A servable peft adapter: weights + adapter_config naming the embedded model (+ prompt.json)."""
    from llm_stage.prompt import LAYOUT, LAYOUT_FILE

    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    for f in ("README.md",):  # peft's template model card
        (tmp / f).unlink(missing_ok=True)
    cfg_path = tmp / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["base_model_name_or_path"] = args.base_name
    cfg["inference_mode"] = True
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    if args.layout != LAYOUT:
        (tmp / LAYOUT_FILE).write_text(json.dumps({"layout": args.layout}) + "\n", encoding="utf-8")
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)


def _atomic_torch_save(obj: Any, path: Path) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def fingerprint(args: TrainArgs) -> dict:
    fp = {k: getattr(args, k) for k in FINGERPRINT}
    fp["data_sha"] = hashlib.sha256(Path(args.data).read_bytes()).hexdigest()[:16]
    return fp


# ---------------------------------------------------------------------------- training
def may_stop_early(step: int, per_epoch: int, min_epochs: float) -> bool:
    """Whether the validation loss may end a run at iteration `step`: only after `min_epochs` epochs."""
    return step >= min_epochs * per_epoch


def train(args: TrainArgs, progress: bool = True) -> dict:
    """Train (or resume) and write the adapter to args.out; returns what train_info.json holds."""
    import peft
    import torch
    import transformers
    from peft import get_peft_model_state_dict, set_peft_model_state_dict
    from tqdm import tqdm
    from transformers import AutoTokenizer

    from llm_stage.prompt import check_layout

    t_start = time.perf_counter()
    check_layout(args.layout)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    out = Path(args.out)
    work = Path(args.work) if args.work else out.with_name(out.name + ".work")
    work.mkdir(parents=True, exist_ok=True)
    base = resolve_base(args)
    tok = AutoTokenizer.from_pretrained(str(base))
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    data = encode_file(tok, args.data, args.max_length)
    if not data.ids:
        raise TrainError(f"{args.data}: no trainable sample")
    val = None
    if args.val and Path(args.val).is_file():
        val = encode_file(tok, args.val, args.max_length, limit=args.val_samples)
    elif args.val:
        print(f"torch_lora: no validation file {args.val}; no learning curve, no early stop", file=sys.stderr)
    lengths = [len(x) for x in data.ids]
    per_epoch = max(1, len(epoch_batches(lengths, 0, args.seed, args.batch_size)) // args.grad_accum)
    total = per_epoch * args.epochs if args.steps == "auto" else int(args.steps)
    save_every = args.save_every or args.val_every

    model = build_model(args, base, device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), weight_decay=0.0)
    state = {"step": 0, "epoch": 0, "pos": 0, "best": math.inf, "best_step": -1, "bad": 0, "seconds": 0.0}

    ckpt_path, curve_path, log_path = work / "last.pt", work / "val_curve.jsonl", work / "train_log.jsonl"
    fp = fingerprint(args)
    if ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        if ck["fingerprint"] != fp:
            diff = {k: (ck["fingerprint"].get(k), v) for k, v in fp.items() if ck["fingerprint"].get(k) != v}
            raise TrainError(
                f"{ckpt_path} is another run's checkpoint ({diff}); use another --work or remove it"
            )
        set_peft_model_state_dict(model, ck["lora"])
        opt.load_state_dict(ck["optimizer"])
        state.update(ck["state"])
        torch.set_rng_state(ck["rng"]["torch"])
        if device.startswith("cuda") and ck["rng"].get("cuda") is not None:
            torch.cuda.set_rng_state(ck["rng"]["cuda"])
        random.setstate(ck["rng"]["python"])
        for path in (curve_path, log_path):  # drop what was written after the checkpoint
            if path.is_file():
                keep = [
                    ln
                    for ln in path.read_text().splitlines()
                    if ln and json.loads(ln)["iter"] <= state["step"]
                ]
                path.write_text("".join(x + "\n" for x in keep))
        print(f"torch_lora: resuming {work} at iteration {state['step']}", file=sys.stderr)
    else:
        torch.manual_seed(args.seed)  # dropout's stream
        random.seed(args.seed)
        for path in (curve_path, log_path):
            path.unlink(missing_ok=True)
        shutil.rmtree(work / "best", ignore_errors=True)  # an older run's best is not this one's

    def checkpoint() -> None:
        rng = {"torch": torch.get_rng_state(), "python": random.getstate()}
        rng["cuda"] = torch.cuda.get_rng_state() if device.startswith("cuda") else None
        lora = {k: v.detach().cpu() for k, v in get_peft_model_state_dict(model).items()}
        blob = {
            "fingerprint": fp,
            "lora": lora,
            "optimizer": opt.state_dict(),
            "state": dict(state),
            "rng": rng,
        }
        _atomic_torch_save(blob, ckpt_path)

    model.train()
    stopped = "steps"
    step_times: list[float] = []
    first_losses: list[float] = []
    val_seconds = 0.0
    batches = epoch_batches(lengths, state["epoch"], args.seed, args.batch_size)
    bar = tqdm(
        total=total, initial=state["step"], desc="train", unit="it", disable=not progress, dynamic_ncols=True
    )
    while state["step"] < total:
        elapsed = time.perf_counter() - t_start
        if args.time_limit:
            est = (sum(step_times[-10:]) / len(step_times[-10:])) if step_times else 0.0
            due_val = val is not None and (
                (state["step"] + 1) % args.val_every == 0 or state["step"] + 1 == total
            )
            # a validation pass costs about a third of a training step per sample until measured
            val_est = (val_seconds or len(val.ids) * est / 3) if due_val and val is not None else 0.0
            reserve = 1.5 * est + val_est + 15.0  # the step, its validation, the save
            if elapsed + reserve > args.time_limit:
                stopped = "time_limit"
                break
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = args.lr * lr_factor(state["step"], args.warmup)
        opt.zero_grad(set_to_none=True)
        loss_sum, n_tok = 0.0, 0
        micro = []
        for _ in range(args.grad_accum):
            if state["pos"] >= len(batches):
                state["epoch"] += 1
                state["pos"] = 0
                batches = epoch_batches(lengths, state["epoch"], args.seed, args.batch_size)
            micro.append(batches[state["pos"]])
            state["pos"] += 1
        n_all = sum(sum(1 for x in data.labels[i][1:] if x != IGNORE) for b in micro for i in b)
        for idx in micro:
            with autocast(device):
                s, n, _ = batch_losses(model, *collate(data, idx, pad_id, device))
            (s / n_all).backward()  # the mean over the iteration's answer tokens, as one batch's loss
            loss_sum += float(s.detach())
            n_tok += n
        torch.nn.utils.clip_grad_norm_(params, max_norm=1.0)
        opt.step()
        state["step"] += 1
        loss = loss_sum / max(1, n_tok)
        dt = time.perf_counter() - t0
        step_times.append(dt)
        state["seconds"] += dt
        if len(first_losses) < 5 and state["step"] <= 5:
            first_losses.append(round(loss, 5))
        with log_path.open("a") as f:
            lr = round(opt.param_groups[0]["lr"], 8)
            f.write(
                json.dumps({"iter": state["step"], "loss": round(loss, 5), "lr": lr, "seconds": round(dt, 3)})
                + "\n"
            )
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", best=f"{state['best']:.4f}" if val else "-")
        step = state["step"]
        # validated every val_every iterations and after the last one, so the best adapter is
        # chosen among all the weights the run reached
        if val is not None and (step % args.val_every == 0 or step == total):
            tv = time.perf_counter()
            vl = val_loss(model, val, args.batch_size, pad_id, device)
            val_seconds = time.perf_counter() - tv
            if vl < state["best"] - args.min_delta:
                state.update(best=vl, best_step=step, bad=0)
                save_adapter(model, work / "best", args)
            else:
                state["bad"] += 1
            rec = {
                "iter": step,
                "val_loss": round(vl, 5),
                "best_iter": state["best_step"],
                "seconds": round(val_seconds, 1),
            }
            with curve_path.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            tqdm.write(
                f"torch_lora: iter {step} val_loss {vl:.4f} (best {state['best']:.4f} @ {state['best_step']})"
            )
        if step % save_every == 0 and step < total:
            checkpoint()
        if (
            val is not None
            and state["bad"] >= args.patience
            and may_stop_early(step, per_epoch, args.min_epochs)
        ):
            stopped = "patience"
            break
    bar.close()
    checkpoint()

    use_best = not args.use_last and (work / "best").is_dir() and state["best_step"] > 0
    if use_best:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(work / "best", out)
    else:
        save_adapter(model, out, args)
    run_steps = len(step_times)
    info = {
        "trainer": "chatocr.training.torch_lora",
        "args": asdict(args),
        "iterations": state["step"],
        "iterations_this_run": run_steps,
        "stopped_by": stopped,
        "adapter": f"best (iteration {state['best_step']})"
        if use_best
        else f"last (iteration {state['step']})",
        "best_val_loss": None if state["best"] == math.inf else round(state["best"], 5),
        "best_iter": state["best_step"],
        "seconds_per_iter": round(sum(step_times) / run_steps, 3) if run_steps else None,
        "first_losses": first_losses,
        "samples": len(data.ids),
        "samples_truncated": data.truncated,
        "samples_dropped": data.dropped,
        "val_samples": len(val.ids) if val else 0,
        "iterations_per_epoch": per_epoch,
        "device": torch.cuda.get_device_name(0)
        if device.startswith("cuda")
        else f"cpu ({torch.get_num_threads()} threads)",
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
        },
        "wall_seconds": round(time.perf_counter() - t_start, 1),
    }
    (out / "train_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


# ---------------------------------------------------------------------------- CLI
def parse_args(argv: list[str] | None = None) -> TrainArgs:
    d = TrainArgs(data="", out="")
    p = argparse.ArgumentParser(
        prog="python -m chatocr.training.torch_lora", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--data", required=True, help="training samples (XTuner JSONL or JSON)")
    p.add_argument("--out", required=True, help="the adapter dir to write")
    p.add_argument("--val", help="validation samples (learning curve, best adapter, early stop)")
    p.add_argument(
        "--steps", default=d.steps, help="iterations, or 'auto' (up to --epochs, stopped by the val loss)"
    )
    p.add_argument("--init", help="continue this peft adapter's LoRA (fresh optimizer)")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--seed", type=int, default=d.seed, help="data order, LoRA init and dropout")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--grad-accum", type=int, default=d.grad_accum)
    p.add_argument("--layout", default=d.layout, help="the prompt layout DATA was written in (prompt.json)")
    p.add_argument("--device", default=d.device, help="cpu, cuda or auto")
    p.add_argument("--base", help="base model dir (default: the embedded model's)")
    p.add_argument("--base-name", default=d.base_name, help="the adapter's base_model_name_or_path")
    p.add_argument("--max-length", type=int, default=d.max_length)
    p.add_argument("--rank", type=int, default=d.rank)
    p.add_argument("--alpha", type=int, default=d.alpha)
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--warmup", type=int, default=d.warmup)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--val-every", type=int, default=d.val_every)
    p.add_argument("--val-samples", type=int, default=d.val_samples)
    p.add_argument("--patience", type=int, default=d.patience)
    p.add_argument("--min-delta", type=float, default=d.min_delta)
    p.add_argument(
        "--min-epochs",
        type=float,
        default=d.min_epochs,
        help="no stop by the validation loss before this many epochs",
    )
    p.add_argument(
        "--save-every", type=int, default=d.save_every, help="checkpoint interval (0: --val-every)"
    )
    p.add_argument("--time-limit", type=float, default=d.time_limit, help="seconds; stop and save in time")
    p.add_argument("--work", help="checkpoints, curve and log (default: OUT.work)")
    p.add_argument("--use-last", action="store_true", help="the last weights, not the best by val loss")
    p.add_argument("--threads", type=int, default=d.threads)
    a = p.parse_args(argv)
    if a.steps != "auto" and not str(a.steps).isdigit():
        p.error("--steps takes a number or 'auto'")
    return TrainArgs(**{k.replace("-", "_"): v for k, v in vars(a).items()})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        info = train(args)
    except TrainError as e:
        print(f"torch_lora: {e}", file=sys.stderr)
        return 2
    print(
        f"torch_lora: adapter -> {args.out} ({info['adapter']}; {info['iterations']} iterations, "
        f"{info['seconds_per_iter']} s/it on {info['device']}, best val {info['best_val_loss']}, "
        f"stopped by {info['stopped_by']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
