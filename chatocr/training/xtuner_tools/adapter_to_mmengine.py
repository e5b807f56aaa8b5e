"""A peft LoRA adapter (adapter_model.safetensors) as an mmengine checkpoint that XTuner's
SupervisedFinetune model loads with `load_from`, so a new XTuner run continues from that adapter
instead of a fresh LoRA.

    python adapter_to_mmengine.py ADAPTER_DIR OUT.pth                # convert
    .venv-xtuner/bin/python adapter_to_mmengine.py --check OUT.pth ADAPTER_DIR XBASE
    python adapter_to_mmengine.py --prepare ADAPTER_DIR OUT.pth XTUNER_PYTHON XBASE
                                             # both: OUT.pth appears only once checked; kept if there

peft saves `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`; XTuner's model holds the
peft model as `llm`, and peft keeps the adapter's name in the parameter path, so the same tensor is
`llm.base_model.model.model.layers.N.self_attn.q_proj.lora_A.default.weight` there. mmengine's
`load_from` loads non-strictly (a key that does not match is silently skipped), hence `--check`:
it builds the LoRA model of the adapter's config on the meta device (no weights read) and fails
unless every LoRA parameter of the model is in the checkpoint with the right shape and nothing else is.
Only torch and safetensors are needed to convert (either venv); the check needs the XTuner venv.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ADAPTER_NAME = "default"
_LORA = re.compile(r"\.(lora_[AB]|lora_embedding_[AB]|lora_magnitude_vector)\.weight$")


def mmengine_key(peft_key: str) -> str:
    """`base_model.….lora_A.weight` -> `llm.base_model.….lora_A.default.weight`."""
    m = _LORA.search(peft_key)
    if m is None:
        raise ValueError(f"not a LoRA weight: {peft_key!r}")
    return "llm." + peft_key[: m.start()] + f".{m.group(1)}.{ADAPTER_NAME}.weight"


def convert(adapter_dir: str | Path, out: str | Path) -> dict:
    """Write OUT (an mmengine checkpoint of the adapter's LoRA weights, fp32); returns a summary."""
    import torch
    from safetensors.torch import load_file

    adapter_dir = Path(adapter_dir)
    cfg = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    weights = load_file(str(adapter_dir / "adapter_model.safetensors"))
    state = {mmengine_key(k): v.to(torch.float32).contiguous() for k, v in weights.items()}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    torch.save({"meta": {"source_adapter": str(adapter_dir.resolve())}, "state_dict": state}, tmp)
    tmp.replace(out)
    return {"tensors": len(state), "r": cfg.get("r"), "lora_alpha": cfg.get("lora_alpha")}


def check(pth: str | Path, adapter_dir: str | Path, xbase: str | Path) -> dict:
    """Fail unless the checkpoint's keys and shapes are exactly the LoRA parameters XTuner's
    SupervisedFinetune model would have with the adapter's LoRA config on `xbase`."""
    import torch
    from accelerate import init_empty_weights
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    acfg = json.loads((Path(adapter_dir) / "adapter_config.json").read_text(encoding="utf-8"))
    lora = LoraConfig(
        r=acfg["r"],
        lora_alpha=acfg["lora_alpha"],
        lora_dropout=acfg.get("lora_dropout", 0.0),
        bias=acfg.get("bias", "none"),
        target_modules=sorted(acfg["target_modules"]),
        task_type="CAUSAL_LM",
    )
    with init_empty_weights():
        llm = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(str(xbase)))
        wrapper = torch.nn.Module()  # SupervisedFinetune keeps the peft model as `.llm`
        wrapper.llm = get_peft_model(llm, lora)
    want = {k: tuple(p.shape) for k, p in wrapper.named_parameters() if "lora_" in k}
    ckpt = torch.load(str(pth), map_location="cpu", weights_only=True)["state_dict"]
    have = {k: tuple(v.shape) for k, v in ckpt.items()}
    missing = sorted(set(want) - set(have))
    unexpected = sorted(set(have) - set(want))
    wrong = sorted(k for k in set(want) & set(have) if want[k] != have[k])
    if missing or unexpected or wrong:
        raise SystemExit(
            f"adapter_to_mmengine --check: {len(missing)} LoRA keys missing (e.g. {missing[:2]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:2]}), {len(wrong)} of another shape "
            f"(e.g. {wrong[:2]})"
        )
    return {"lora_keys": len(want), "matched": len(have)}


def prepare(adapter_dir: str | Path, out: str | Path, xtuner_python: str, xbase: str | Path) -> dict:
    """Convert, then check in the XTuner venv (a subprocess: the check needs XTuner's peft); OUT
    is written only when the check passes, and an OUT already there is kept. The one entry that
    `make train-cpu INIT=ADAPTER` and `chatocr finetune` both use."""
    import subprocess

    out = Path(out)
    if out.is_file() and out.stat().st_size > 0:
        return {"kept": str(out)}
    unchecked = out.with_name(out.name + ".unchecked")
    summary = convert(adapter_dir, unchecked)
    r = subprocess.run(
        [
            xtuner_python,
            str(Path(__file__).resolve()),
            "--check",
            str(unchecked),
            str(adapter_dir),
            str(xbase),
        ],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        unchecked.unlink(missing_ok=True)
        raise SystemExit(
            (r.stderr or r.stdout).strip() or f"adapter_to_mmengine --check exited {r.returncode}"
        )
    unchecked.replace(out)
    return {**summary, **json.loads(r.stdout.strip().splitlines()[-1])}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--prepare"] and len(argv) == 5:
        print(json.dumps(prepare(*argv[1:])))
        return 0
    if argv[:1] == ["--check"] and len(argv) == 4:
        print(json.dumps(check(*argv[1:])))
        return 0
    if len(argv) == 2:
        print(json.dumps(convert(*argv)))
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
