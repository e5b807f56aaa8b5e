"""A weighted average of LoRA adapters of one base model (a "model soup"), written as one peft adapter.

    python -m scripts.soup_adapters ADAPTER_DIR ADAPTER_DIR [...] --out OUT_DIR [--weights 0.5,0.5]

Each adapter changes a weight W by s * B @ A (peft's scale s = lora_alpha / r, or / sqrt(r) with
rsLoRA). The soup's change is the weighted sum of those changes, exactly: its A stacks the sources'
A matrices along the rank, its B puts the sources' B matrices side by side, each multiplied by its
weight and scale, and its rank is the sum of theirs with lora_alpha = r (scale 1). The `transformers`
backend merges an adapter into the base once at load time, so a soup of rank 16 serves as fast as
one adapter of rank 8.

Why: the shipped recipe trains in two stages, stage 2 continuing stage 1 on more synthetic receipts.
Fine-tuned weights along one run lie in one basin, and averaging them (Wortsman et al. 2022, model
soups / WiSE-FT) tends to keep what each learned and to hold up better off the training
distribution than either end point. Weights default to uniform; they are a recipe choice made
before looking at results, never fitted on the dev documents.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from pathlib import Path

_AB = re.compile(r"^(?P<module>.+)\.lora_(?P<which>[AB])\.weight$")


class SoupError(ValueError):
    pass


def _scale(cfg: dict) -> float:
    r, alpha = int(cfg["r"]), float(cfg.get("lora_alpha", cfg["r"]))
    return alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r


def _load(adapter_dir: Path) -> tuple[dict, dict]:
    from safetensors.torch import load_file

    cfg_path, w_path = adapter_dir / "adapter_config.json", adapter_dir / "adapter_model.safetensors"
    if not cfg_path.is_file() or not w_path.is_file():
        raise SoupError(
            f"{adapter_dir}: not a peft LoRA adapter (adapter_config.json + adapter_model.safetensors)"
        )
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    if cfg.get("peft_type") != "LORA" or cfg.get("use_dora"):
        raise SoupError(f"{adapter_dir}: only plain LoRA adapters can be averaged (peft_type LORA, no DoRA)")
    if cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
        raise SoupError(f"{adapter_dir}: per-module ranks (rank_pattern/alpha_pattern) are not supported")
    return cfg, load_file(str(w_path))


def _modules(tensors: dict, where: Path) -> dict[str, dict[str, object]]:
    mods: dict[str, dict[str, object]] = {}
    for key, t in tensors.items():
        m = _AB.match(key)
        if m is None:
            raise SoupError(
                f"{where}: unexpected tensor {key!r} (modules_to_save or embeddings are not supported)"
            )
        mods.setdefault(m["module"], {})[m["which"]] = t
    return mods


def soup(adapters: list[Path], weights: list[float] | None = None) -> tuple[dict, dict]:
    """(config, tensors) of the weighted sum of the adapters' weight changes."""
    adapters = [Path(a) for a in adapters]
    return _soup(adapters, [_load(a) for a in adapters], _weights(adapters, weights))


def _weights(adapters: list[Path], weights: list[float] | None) -> list[float]:
    if len(adapters) < 2:
        raise SoupError("give at least two adapters")
    weights = weights or [1.0 / len(adapters)] * len(adapters)
    if len(weights) != len(adapters):
        raise SoupError(f"{len(weights)} weights for {len(adapters)} adapters")
    return weights


def _soup(adapters: list[Path], loaded: list[tuple[dict, dict]], weights: list[float]) -> tuple[dict, dict]:
    import torch

    cfgs = [c for c, _ in loaded]
    bases = {c.get("base_model_name_or_path") for c in cfgs}
    if len(bases) > 1:
        raise SoupError(f"the adapters have different base models: {sorted(map(str, bases))}")
    mods = [_modules(t, a) for (_, t), a in zip(loaded, adapters, strict=True)]
    names = set(mods[0])
    for a, m in zip(adapters[1:], mods[1:], strict=True):
        if set(m) != names:
            raise SoupError(f"{a}: adapts other modules than {adapters[0]} ({len(set(m) ^ names)} differ)")
    out: dict[str, torch.Tensor] = {}
    for name in sorted(names):
        a_parts, b_parts = [], []
        for cfg, m, w in zip(cfgs, mods, weights, strict=True):
            a, b = m[name]["A"], m[name]["B"]
            a_parts.append(a.float())
            b_parts.append(b.float() * (w * _scale(cfg)))
        out[f"{name}.lora_A.weight"] = torch.cat(a_parts, dim=0).contiguous()
        out[f"{name}.lora_B.weight"] = torch.cat(b_parts, dim=1).contiguous()
    r = sum(int(c["r"]) for c in cfgs)
    cfg = dict(cfgs[0])
    targets = sorted({t for c in cfgs for t in (c.get("target_modules") or [])})
    cfg.update(r=r, lora_alpha=r, use_rslora=False, target_modules=targets)
    return cfg, out


def delta(cfg: dict, tensors: dict, module: str):
    """The weight change an adapter applies to one module (s * B @ A)."""
    a, b = tensors[f"{module}.lora_A.weight"].float(), tensors[f"{module}.lora_B.weight"].float()
    return _scale(cfg) * (b @ a)


def _sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def write(adapters: list[Path], out: Path, weights: list[float] | None = None) -> dict:
    """Write the soup adapter into OUT (config, weights, soup.json); check it against its sources."""
    from safetensors.torch import save_file

    from llm_stage.prompt import LAYOUT, LAYOUT_FILE, layout_for

    adapters = [Path(a) for a in adapters]
    layouts = {layout_for(a) for a in adapters}
    if len(layouts) > 1:
        raise SoupError(f"the adapters were trained on different prompt layouts: {sorted(layouts)}")
    weights = _weights(adapters, weights)
    sources = [_load(a) for a in adapters]  # read once: averaged, then checked against
    cfg, tensors = _soup(adapters, sources, weights)
    # the check: on every module, the soup's change equals the weighted sum of the sources' changes
    worst = 0.0
    for key in tensors:
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[: -len(".lora_A.weight")]
        want = sum(w * delta(c, t, module) for (c, t), w in zip(sources, weights, strict=True))
        got = delta(cfg, tensors, module)
        worst = max(worst, float((got - want).abs().max()) / max(float(want.abs().max()), 1e-12))
    if worst > 1e-5:
        raise SoupError(f"soup check failed: relative error {worst:.2e}")
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "adapter_model.safetensors"), metadata={"format": "pt"})
    (out / "adapter_config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    (out / LAYOUT_FILE).unlink(missing_ok=True)
    if (layout := layouts.pop()) != LAYOUT:
        (out / LAYOUT_FILE).write_text(json.dumps({"layout": layout}) + "\n", encoding="utf-8")
    info = {
        "sources": [
            {"adapter": str(a), "weight": w, "sha256": _sha256(a / "adapter_model.safetensors")}
            for a, w in zip(adapters, weights, strict=True)
        ],
        "r": cfg["r"],
        "modules": len(tensors) // 2,
        "max_relative_error": worst,
    }
    (out / "soup.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m scripts.soup_adapters", description=__doc__.split("\n\n")[0])
    ap.add_argument("adapters", nargs="+", type=Path, help="peft LoRA adapter dirs of one base model")
    ap.add_argument("--out", required=True, type=Path, help="output adapter dir")
    ap.add_argument("--weights", default=None, help="comma list, one per adapter (default: uniform)")
    args = ap.parse_args(argv)
    try:
        weights = [float(x) for x in args.weights.split(",")] if args.weights else None
    except ValueError:
        ap.error(f"--weights {args.weights!r}: give numbers separated by commas")
    try:
        info = write(args.adapters, args.out, weights)
    except SoupError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.out} (rank {info['r']}, {info['modules']} modules, "
        f"weights {[s['weight'] for s in info['sources']]}, max relative error {info['max_relative_error']:.1e})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
