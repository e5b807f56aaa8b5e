"""Per embedded model: its XTuner config, the venv XTuner runs in and the script that builds it; and
where a run starts (`--model`). The configs and tools ship inside this package (package data), so
`chatocr finetune` works from an installed wheel as from a checkout."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .folder import FolderError

HERE = Path(__file__).resolve().parent
CONFIG_DIR = HERE / "xtuner_config"  # XTuner configs: run by XTuner, never imported by chatocr
TOOLS_DIR = HERE / "xtuner_tools"  # programs that run inside the XTuner venv, and its setup scripts
REPO_ROOT = HERE.parents[1]


def venvs_dir() -> Path:
    """Where the XTuner venvs live: $CHATOCR_VENVS_DIR, else the checkout's root (where `make
    setup-xtuner` builds .venv-xtuner), else $XDG_DATA_HOME/chatocr for an installed package."""
    if os.environ.get("CHATOCR_VENVS_DIR"):
        return Path(os.environ["CHATOCR_VENVS_DIR"]).expanduser()
    if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "chatocr").is_dir():
        return REPO_ROOT
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "chatocr"


@dataclass(frozen=True)
class XtunerRecipe:
    config: str  # file name under CONFIG_DIR
    venv: str  # dir name under venvs_dir()
    setup: str  # script under TOOLS_DIR that builds the venv (idempotent)


RECIPES = {
    "smollm2-135m-instruct": XtunerRecipe("smollm2_135m_lora_cpu.py", ".venv-xtuner", "setup_xtuner.sh"),
    "gemma3-270m": XtunerRecipe("gemma3_270m_lora_cpu.py", ".venv-xtuner-gemma", "setup_xtuner_gemma.sh"),
}


@dataclass
class Recipe:
    """Where a run starts and how XTuner trains it."""

    model_name: str  # the embedded model (registry name), written as the adapter's base
    start: str  # what --model resolved to, for PROVENANCE
    adapter: Path | None  # the adapter whose weights start the LoRA (None: a fresh LoRA)
    config: Path
    venv: Path
    setup: Path
    base_dir: Path  # the transformers-5 model dir
    xbase: Path  # its copy that XTuner's transformers reads
    lora: dict = field(default_factory=dict)  # r, lora_alpha, lora_dropout, target_modules

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def tool(name: str) -> Path:
    return TOOLS_DIR / name


def resolve_start(model: str | None) -> Recipe:
    """--model: an adapter dir, an embedded model's name (a fresh LoRA on its base), 'NAME+lora' or
    nothing (the default model's shipped adapter)."""
    from llm_stage.embedded import (
        EmbeddedModelError,
        adapter_base,
        get_model,
        is_embedded_name,
        models_dir,
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
    r = RECIPES[spec.name]
    lora = {}
    if adapter is not None:
        cfg = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
        lora = {
            "r": cfg["r"],
            "lora_alpha": cfg["lora_alpha"],
            "lora_dropout": cfg.get("lora_dropout", 0.05),
            "target_modules": sorted(cfg["target_modules"]),
        }
    models = models_dir().resolve()
    return Recipe(
        model_name=spec.name,
        start=str(adapter) if adapter is not None else spec.name + " (a fresh LoRA)",
        adapter=adapter,
        config=CONFIG_DIR / r.config,
        venv=venvs_dir().resolve() / r.venv,
        setup=TOOLS_DIR / r.setup,
        base_dir=models / spec.dirname,
        xbase=models / (spec.dirname + "-xtuner"),
        lora=lora,
    )
