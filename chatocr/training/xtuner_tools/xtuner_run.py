"""Runs XTuner 0.2.0 tools inside .venv-xtuner with this project's CPU workarounds applied in-process.

    .venv-xtuner/bin/python xtuner_run.py train CONFIG [--work-dir D] [--resume] [--cfg-options ...]
    .venv-xtuner/bin/python xtuner_run.py pth_to_hf CONFIG PTH SAVE_DIR [--cfg-options ...]
    .venv-xtuner/bin/python xtuner_run.py merge BASE ADAPTER SAVE_DIR
    .venv-xtuner/bin/python xtuner_run.py prepare-base SRC DST

(this file ships in chatocr/training/xtuner_tools/; the configs beside it in ../xtuner_config/)

A --cfg-options key may address a custom hook by its type instead of its position in the config's
list: `custom_hooks.ValLossHook.val_file=X` becomes `custom_hooks.<i>.val_file=X`, where <i> is
that hook's index; a type the config does not hold is an error, not a silently added key.

Why not `xtuner train`: that CLI starts `python xtuner/tools/train.py` from PATH in a subprocess and
exits 0 even when training fails. Here the tool modules run in this interpreter, so a failure is a
non-zero exit, and the shims below reach them. Nothing in site-packages is edited.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import runpy
import shutil
import sys
import types
from pathlib import Path

TOOLS = {
    "train": "xtuner.tools.train",
    "pth_to_hf": "xtuner.tools.model_converters.pth_to_hf",
    "merge": "xtuner.tools.model_converters.merge",
}


class _Unavailable:
    """Placeholder for any torchvision attribute: importing works, using it says why it cannot."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, item):
        return _Unavailable(f"{self._name}.{item}")

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self._name}: torchvision is stubbed in .venv-xtuner (text-only fine-tuning)")


class _StubModule(types.ModuleType):
    def __getattr__(self, item):
        if item.startswith("__"):
            raise AttributeError(item)
        return _Unavailable(f"{self.__name__}.{item}")


def install_torchvision_stub() -> None:
    """XTuner imports torchvision at load time for its vision datasets only; PyPI's CPU torchvision
    does not load beside torch 2.13, so a harmless stub stands in (only when no real one imports).
    The stub has no distribution metadata, so transformers still reports torchvision as absent."""
    try:
        import torchvision  # noqa: F401

        return
    except Exception:
        for k in [k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")]:
            del sys.modules[k]
    for name in (
        "torchvision",
        "torchvision.transforms",
        "torchvision.transforms.functional",
        "torchvision.io",
        "torchvision.ops",
    ):
        mod = _StubModule(name)
        mod.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        mod.__path__ = []
        mod.__version__ = "0+stub"  # mmengine's collect_env prints it
        sys.modules[name] = mod
    sys.modules["torchvision"].transforms = sys.modules["torchvision.transforms"]
    sys.modules["torchvision.transforms"].functional = sys.modules["torchvision.transforms.functional"]


def install_torch_shims() -> None:
    import torch

    # XTuner asks the device module whether bf16 works; torch.cpu has no such function.
    if not hasattr(torch.cpu, "is_bf16_supported"):
        torch.cpu.is_bf16_supported = lambda *a, **k: False  # type: ignore[attr-defined]
    # torch >= 2.6 loads with weights_only=True by default, and mmengine's resume reads its own
    # checkpoints (with a HistoryBuffer and numpy state inside) without saying otherwise, so
    # `--resume` fails. These are checkpoints this project's runs wrote: load them in full.
    if not getattr(torch.load, "_chatocr_full", False):
        _load = torch.load

        def load(*args, **kwargs):
            kwargs.setdefault("weights_only", False)
            return _load(*args, **kwargs)

        load._chatocr_full = True  # type: ignore[attr-defined]
        torch.load = load


def prepare_base(src: Path, dst: Path) -> Path:
    """Write a copy of a transformers-5 checkpoint that transformers 4.48 reads correctly.

    4.48 does not know `rope_parameters` and silently falls back to rope_theta=10000 (the model
    then answers garbage), nor the `TokenizersBackend` tokenizer class or chat_template.jinja.
    Weights are hard-linked (copied across file systems), so this costs no disk in the usual case.
    """
    src, dst = Path(src), Path(dst)
    if not (src / "config.json").is_file():
        raise SystemExit(f"prepare-base: {src} holds no config.json (run `make setup` first)")
    stamp = dst / ".prepared-from"
    if stamp.is_file() and stamp.read_text() == str(src.resolve()):
        return dst
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for f in src.iterdir():
        if f.suffix == ".safetensors" or f.name == "tokenizer.json":
            try:
                os.link(f, tmp / f.name)
            except OSError:
                shutil.copy2(f, tmp / f.name)
    cfg = json.loads((src / "config.json").read_text())
    rope = cfg.pop("rope_parameters", None) or {}
    if rope and all(isinstance(v, dict) for v in rope.values()):
        # one set per attention type (Gemma 3): 4.5x calls them rope_theta (full attention) and
        # rope_local_base_freq (sliding window)
        full, local = rope.get("full_attention", {}), rope.get("sliding_attention", {})
        if "rope_theta" in local:
            cfg["rope_local_base_freq"] = local["rope_theta"]
        rope = full
    if "rope_theta" in rope:
        cfg["rope_theta"] = rope["rope_theta"]
    if rope.get("rope_type", "default") != "default":
        cfg["rope_scaling"] = rope
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    (tmp / "config.json").write_text(json.dumps(cfg, indent=2))
    if (src / "generation_config.json").is_file():
        shutil.copy2(src / "generation_config.json", tmp / "generation_config.json")
    tok = json.loads((src / "tokenizer_config.json").read_text())
    for k in ("backend", "is_local", "local_files_only"):
        tok.pop(k, None)
    tok["tokenizer_class"] = "PreTrainedTokenizerFast"
    if (src / "chat_template.jinja").is_file():
        tok["chat_template"] = (src / "chat_template.jinja").read_text()
    (tmp / "tokenizer_config.json").write_text(json.dumps(tok, indent=2, ensure_ascii=False))
    special = {k: tok[k] for k in ("bos_token", "eos_token", "pad_token", "unk_token") if k in tok}
    (tmp / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    (tmp / ".prepared-from").write_text(str(src.resolve()))
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)
    return dst


def _hook_index(config: str, name: str, cache: dict) -> int:
    if "types" not in cache:
        from mmengine.config import Config

        hooks = Config.fromfile(config).get("custom_hooks") or []
        cache["types"] = [
            h["type"] if isinstance(h["type"], str) else getattr(h["type"], "__name__", str(h["type"]))
            for h in hooks
        ]
    names = [t.rsplit(".", 1)[-1] for t in cache["types"]]
    if name not in names:
        raise SystemExit(
            f"xtuner_run: {config} has no custom hook {name} (it has {', '.join(names) or 'none'})"
        )
    return names.index(name)


def hooks_by_index(args: list[str]) -> list[str]:
    """`custom_hooks.<TypeName>.key=v` after --cfg-options -> `custom_hooks.<index>.key=v`."""
    if "--cfg-options" not in args:
        return args
    config = args[1]  # train/pth_to_hf: the tool's first argument after its name is the config
    out, cache, opts = [], {}, False
    for a in args:
        if a == "--cfg-options":
            opts = True
        elif opts and a.startswith("--"):
            opts = False
        parts = a.split(".", 2)
        if opts and len(parts) == 3 and parts[0] == "custom_hooks" and not parts[1].isdigit():
            a = f"custom_hooks.{_hook_index(config, parts[1], cache)}.{parts[2]}"
        out.append(a)
    return out


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in (*TOOLS, "prepare-base"):
        print(f"usage: xtuner_run.py {{{','.join([*TOOLS, 'prepare-base'])}}} ARGS...", file=sys.stderr)
        return 2
    if argv[0] == "prepare-base":
        if len(argv) != 3:
            print("usage: xtuner_run.py prepare-base SRC DST", file=sys.stderr)
            return 2
        print(prepare_base(Path(argv[1]), Path(argv[2])))
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    install_torchvision_stub()
    install_torch_shims()
    # The configs import this project's hooks (xtuner_hooks, beside this file).
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    module = TOOLS[argv[0]]
    sys.argv = [module, *(hooks_by_index(argv) if argv[0] in ("train", "pth_to_hf") else argv)[1:]]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
