"""The default backend: a causal LM run in-process by transformers on the CPU (or a GPU if torch
has one). Greedy decoding with a KV cache; with `keys` the answer is forced into a JSON object with
exactly those keys (see `llm_stage.constrained`)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from functools import partial
from pathlib import Path
from typing import ClassVar, Literal

from .base import Backend, BackendError, GenerationResult

# the folder of a model's LoRA adapter that holds its line-items adapter (Options.items_adapter)
ITEMS_ADAPTER = "items"


class TransformersBackend(Backend):
    name: ClassVar[str] = "transformers"
    supports_copy: ClassVar[bool] = True
    shares_prefix: ClassVar[bool] = True

    class Options(Backend.Options):
        # A local HF model dir (e.g. a merged fine-tuned model), a LoRA adapter dir (base from its
        # adapter_config: a dir, or an embedded model's name, else the default embedded model), an
        # embedded model's name or alias ("smollm2-135m-instruct"/"smollm2"/"embedded",
        # "gemma3-270m"/"gemma3": base only; "NAME+lora": base + its shipped adapter) or None (the
        # default: the default embedded base + its shipped fine-tuned adapter when there is one).
        model: str | None = None
        adapter: str | None = None
        threads: int = 0  # torch CPU threads; 0 keeps torch's default
        constrained: bool = True  # force the JSON object when keys are given
        max_value_tokens: int = 96  # cap on one value; a Chinese address is ~64 SmolLM2 tokens
        device: str = "cpu"
        # copy mode: tokens drafted from the document and checked in one pass (0: off)
        draft_tokens: int = 8
        # "float32"; "bfloat16" (weights and every pass); "auto": fp32 weights, and the prompt's
        # pass in bf16 where the hardware computes bf16 natively (a CUDA GPU with bf16, a CPU with
        # AVX512-BF16 or AMX): see `resolve_dtype`
        dtype: Literal["auto", "float32", "bfloat16"] = "auto"
        # the LoRA adapter line-items fields are decoded with when each field is decoded on its own
        # (`generate_each`, the default): a dir; "none" (the model's own weights for every field); or
        # None: the adapter in the `items/` folder of the model's adapter, when there is one
        items_adapter: str | None = None
        # with per-field decoding, also decode the query as one object from the same document pass
        # (`GenerationResult.alternative`, the `disagree` confidence signal); off by default: it
        # doubles the LLM time (bench/per_field_speed.py) and the shipped calibration does not use it
        agreement: bool = False

    def __init__(self, **options):
        super().__init__(**options)
        self._lock = threading.Lock()
        self._load()

    # ---------------------------------------------------------------- loading
    def _resolve(self) -> tuple[Path, Path | None, str]:
        from ..embedded import (
            EmbeddedModelError,
            adapter_base,
            default_model_path,
            get_model,
            is_embedded_name,
            prepare_embedded_model,
        )

        o = self.options
        model = (o.model or "").strip()
        extra = Path(o.adapter).expanduser() if o.adapter else None
        if extra is not None and not (extra / "adapter_config.json").is_file():
            raise BackendError(f"adapter dir {o.adapter!r} has no adapter_config.json")
        try:
            if model in ("", "default") and extra is not None:
                # an adapter alone: its own base (by adapter_config), else the default embedded model
                spec = adapter_base(extra) or get_model(None)
                base, adapter, label = prepare_embedded_model(verbose=False, name=spec.name), None, spec.name
            elif model in ("", "default"):
                spec = get_model(None)
                base, adapter = default_model_path()
                label = spec.name + ("+chatocr-lora" if adapter else "")
            elif model.endswith("+lora") and is_embedded_name(model[: -len("+lora")]):
                # an embedded model with its shipped fine-tuned adapter
                spec = get_model(model[: -len("+lora")])
                base, adapter = default_model_path(spec.name)
                if adapter is None:
                    raise BackendError(
                        f"no fine-tuned adapter is shipped for {spec.name} (expected in {spec.adapter_dir})"
                    )
                label = spec.name + "+chatocr-lora"
            elif is_embedded_name(model):
                # an embedded model's base alone ("embedded" is the default one)
                spec = get_model(model)
                base, adapter, label = prepare_embedded_model(verbose=False, name=spec.name), None, spec.name
            else:
                base, adapter, label = self._resolve_dir(model)
        except EmbeddedModelError as e:
            raise BackendError(str(e)) from e
        if extra is not None:
            adapter = extra
            label += "+" + extra.name
        return base, adapter, label

    def _resolve_dir(self, model: str) -> tuple[Path, Path | None, str]:
        from ..embedded import MODELS, adapter_base, get_model, prepare_embedded_model

        p = Path(model).expanduser()
        if not p.is_dir():
            names = ", ".join(MODELS)
            raise BackendError(
                f"model {model!r} is not a local directory nor an embedded model ({names}); give a Hugging "
                "Face model dir, a LoRA adapter dir, or an embedded model's name (no model hub is reachable "
                "offline)"
            )
        if (p / "adapter_config.json").is_file():
            cfg = json.loads((p / "adapter_config.json").read_text(encoding="utf-8"))
            b = cfg.get("base_model_name_or_path")
            if b and Path(b).is_dir() and (Path(b) / "config.json").is_file():
                return Path(b), p, p.name
            # a registered model named by the adapter (e.g. "gemma3-270m"), else the default one
            spec = adapter_base(p) or get_model(None)
            return prepare_embedded_model(verbose=False, name=spec.name), p, p.name
        if (p / "config.json").is_file():
            return p, None, p.name
        raise BackendError(f"model dir {model!r} has neither config.json nor adapter_config.json")

    def _load(self) -> None:
        import torch
        from transformers import AutoTokenizer

        from ..constrained import token_byte_table
        from ..merged_cache import cached_byte_table, cached_merge

        if self.options.threads > 0:
            torch.set_num_threads(self.options.threads)
        base, adapter, self._label = self._resolve()
        self.adapter_dir = adapter  # its calibration.json (llm_stage.confidence) lives beside it
        merged = cached_merge(base, adapter) if adapter is not None else None
        tok_dir = merged or (adapter if adapter and _has_tokenizer(adapter) else base)
        self.tokenizer = AutoTokenizer.from_pretrained(str(tok_dir))
        self.dtype = resolve_dtype(self.options.dtype, self.options.device)
        self.model = self._load_weights(base, adapter, merged)
        # line-items fields read with their own adapter (trained on item rows), when there is one
        self.items_adapter_dir = self._items_adapter(adapter)
        self.items_model = (
            self._load_weights(base, self.items_adapter_dir) if self.items_adapter_dir is not None else None
        )
        self._table = cached_byte_table(tok_dir, lambda: token_byte_table(self.tokenizer))
        stop = set()
        for ids in (self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id):
            if ids is None:
                continue
            stop.update(ids if isinstance(ids, list) else [ids])
        self._stop_ids = stop

    def _load_weights(self, base: Path, adapter: Path | None, merged: Path | None = None):
        """The base model with `adapter` merged into it (fp32, cached by content), on the device in
        the weights' dtype, in eval mode. `merged`: the cached merge already looked up (hashing the
        adapter once a load)."""
        import torch
        from transformers import AutoModelForCausalLM

        from ..merged_cache import cached_merge, store_merge

        if merged is None and adapter is not None:
            merged = cached_merge(base, adapter)
        model = AutoModelForCausalLM.from_pretrained(str(merged or base), dtype=torch.float32)
        if adapter is not None and merged is None:
            from peft import PeftModel

            # Merged once (in fp32) and cached by content (llm_stage.merged_cache): the LoRA adds no
            # per-token cost, and later loads skip peft altogether.
            model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
            store_merge(base, adapter, model, self.tokenizer)
        weights = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        return model.to(device=self.options.device, dtype=weights).eval()

    def _items_adapter(self, adapter: Path | None) -> Path | None:
        """The line-items adapter: Options.items_adapter, else `<adapter>/items` when it holds one."""
        from ..embedded import adapter_base

        chosen = (self.options.items_adapter or "").strip()
        if chosen.lower() == "none":
            return None
        if chosen:
            d = Path(chosen).expanduser()
            if not (d / "adapter_config.json").is_file():
                raise BackendError(f"items adapter dir {chosen!r} has no adapter_config.json")
        elif adapter is not None and (adapter / ITEMS_ADAPTER / "adapter_config.json").is_file():
            d = adapter / ITEMS_ADAPTER
        else:
            return None
        own, theirs = adapter_base(adapter) if adapter is not None else None, adapter_base(d)
        if own is not None and theirs is not None and own.name != theirs.name:
            raise BackendError(
                f"items adapter {str(d)!r} was trained on {theirs.name}, the model is {own.name}"
            )
        return d

    def _model_for(self, keys) -> object:
        """The weights a decoding of `keys` runs on: the line-items adapter's when every key is a
        line-items field and there is one, the model's otherwise."""
        from ..items import is_items_field

        if self.items_model is not None and keys and all(is_items_field(k) for k in keys):
            return self.items_model
        return self.model

    @property
    def model_name(self) -> str:
        return self._label

    # ---------------------------------------------------------------- decoding
    def _forward(self, ids: list[int], cache, keep: int, model=None):
        import torch

        inp = torch.tensor([ids], dtype=torch.long, device=self.options.device)
        # the prompt (no cache yet, many tokens: compute-bound) in bf16, the answer's short steps in
        # fp32 on the fp32 cache, so only the prompt's keys/values carry bf16 rounding
        mixed = cache is None and self.dtype == MIXED and len(ids) >= 32
        ctx = torch.autocast(inp.device.type, dtype=torch.bfloat16) if mixed else contextlib.nullcontext()
        with torch.inference_mode(), ctx:
            out = (model or self.model)(
                input_ids=inp, past_key_values=cache, use_cache=True, logits_to_keep=keep
            )
        if mixed:
            for layer in getattr(out.past_key_values, "layers", ()):
                layer.keys, layer.values = layer.keys.float(), layer.values.float()
        return out

    def _step(self, ids: list[int], cache, model=None):
        out = self._forward(ids, cache, 1, model)
        return out.logits[0, -1].float(), out.past_key_values

    def _step_many(self, ids: list[int], cache, model=None):
        """Logits after each of `ids` (one forward pass), for checking drafted tokens."""
        out = self._forward(ids, cache, len(ids), model)
        return out.logits[0].float(), out.past_key_values

    @staticmethod
    def _crop(cache, length: int):
        """Drop the rejected draft tokens' keys/values (transformers 5 crops by a negative count)."""
        remove = cache.get_seq_length() - length
        if remove > 0:
            cache.crop(-remove)
        return cache

    def _can_crop(self) -> bool:
        # A sliding-window cache (Gemma 3) cannot be rolled back once the window is full.
        return not getattr(getattr(self.model, "config", None), "sliding_window", None)

    def _can_draft(self) -> bool:
        return self.options.draft_tokens > 0 and self._can_crop()

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        return chat_prompt_ids(self.tokenizer, messages)

    def generate(
        self, messages, keys=None, max_new_tokens=256, copy_from=None, rules=None
    ) -> GenerationResult:
        prompt = self.prompt_ids(messages)
        with self._lock:
            if keys and self.options.constrained:
                return self._generate_constrained(prompt, list(keys), copy_from, rules)
            return self._generate_free(prompt, max_new_tokens)

    def generate_each(
        self, messages_by_key, max_new_tokens=256, copy_from=None, rules=None, joint=None, joint_keys=None
    ) -> GenerationResult:
        """Each key decoded from its own prompt; the prompts' common prefix (the system prompt and
        the document) is computed once and its KV cache shared, so a field costs only its short
        tail (`Fields: ["k"] JSON:` and the value)."""
        import copy as _copy

        from ..constrained import decode_json_object
        from ..items import is_items_field

        if not self.options.constrained or len(messages_by_key) < 2:
            return super().generate_each(messages_by_key, max_new_tokens, copy_from, rules)
        t0 = time.perf_counter()
        prompts = {k: self.prompt_ids(m) for k, m in messages_by_key.items()}
        if joint is not None and self.options.agreement:
            prompts[None] = self.prompt_ids(joint)
        seqs = list(prompts.values())
        keep = 0
        while keep < min(map(len, seqs)) - 1 and all(s[keep] == seqs[0][keep] for s in seqs):
            keep += 1
        values, logprobs, tokens, generated = {}, {}, 0, 0
        items_cut: dict[str, int] = {}
        item_logprobs: dict = {}
        alternative = None
        keys = [q for k in prompts if k is not None for q in (k if isinstance(k, tuple) else [k])]
        prefixes: dict[int, object] = {}  # the document pass of each weights used (items adapter)
        with self._lock:
            for k, ids in prompts.items():
                asked = (joint_keys or keys) if k is None else list(k) if isinstance(k, tuple) else [k]
                model = self.model if k is None else self._model_for(asked)
                if id(model) not in prefixes:
                    _, prefixes[id(model)] = self._step(seqs[0][:keep], None, model)
                prefix = prefixes[id(model)]
                # a sliding-window cache (Gemma 3) cannot be cropped back: each field gets a copy
                past = prefix if self._can_crop() else _copy.deepcopy(prefix)
                r = decode_json_object(
                    partial(self._step, model=model),
                    self.tokenizer,
                    ids[keep:],
                    asked,
                    table=self._table,
                    stop_ids=self._stop_ids,
                    max_value_tokens=self.options.max_value_tokens,
                    copy_from=copy_from,
                    rules={q: rules[q] for q in asked if q in rules} if rules else None,
                    step_many=partial(self._step_many, model=model) if self._can_draft() else None,
                    crop=self._crop,
                    draft_tokens=self.options.draft_tokens,
                    past=(past, keep),
                    item_fields=[q for q in asked if is_items_field(q)],
                )
                if self._can_crop():
                    prefixes[id(model)] = self._crop(prefix, keep)
                tokens += r.tokens
                generated += r.generated_tokens
                if k is None:
                    alternative = r.values
                    continue
                for q in asked:
                    values[q] = r.values[q]
                    logprobs[q] = r.logprobs.get(q, [])
                items_cut.update(r.items_cut)
                item_logprobs.update(r.item_logprobs)
        return GenerationResult(
            text=json.dumps(values, ensure_ascii=False),
            tokens=tokens,
            seconds=time.perf_counter() - t0,
            prompt_tokens=sum(map(len, seqs)) - keep * (len(seqs) - 1),
            generated_tokens=generated,
            constrained=True,
            value_logprobs=logprobs,
            alternative=alternative,
            items_cut=items_cut,
            item_logprobs=item_logprobs,
        )

    def _generate_constrained(
        self, prompt: list[int], keys: list[str], copy_from: str | None = None, rules: dict | None = None
    ) -> GenerationResult:
        from ..constrained import decode_json_object
        from ..items import is_items_field

        model = self._model_for(keys)
        r = decode_json_object(
            partial(self._step, model=model),
            self.tokenizer,
            prompt,
            keys,
            table=self._table,
            stop_ids=self._stop_ids,
            max_value_tokens=self.options.max_value_tokens,
            copy_from=copy_from,
            rules=rules,
            step_many=partial(self._step_many, model=model) if self._can_draft() else None,
            crop=self._crop,
            draft_tokens=self.options.draft_tokens,
            item_fields=[k for k in keys if is_items_field(k)],
        )
        return GenerationResult(
            text=r.text,
            tokens=r.tokens,
            seconds=r.seconds,
            prompt_tokens=len(prompt),
            generated_tokens=r.generated_tokens,
            constrained=True,
            value_logprobs=r.logprobs,
            items_cut=r.items_cut,
            item_logprobs=r.item_logprobs,
        )

    def _generate_free(self, prompt: list[int], max_new_tokens: int) -> GenerationResult:
        t0 = time.perf_counter()
        logits, cache = self._step(prompt, None)
        out: list[int] = []
        for _ in range(max_new_tokens):
            tid = int(logits.argmax())
            if tid in self._stop_ids:
                break
            out.append(tid)
            logits, cache = self._step([tid], cache)
        text = self.tokenizer.decode(out, skip_special_tokens=True)
        return GenerationResult(
            text=text,
            tokens=len(out),
            seconds=time.perf_counter() - t0,
            prompt_tokens=len(prompt),
            generated_tokens=len(out),
        )


def chat_prompt_ids(tokenizer, messages: list[dict[str, str]]) -> list[int]:
    """The prompt's token ids as served: the tokenizer's chat template with the assistant's turn
    opened. Training (chatocr.training.torch_lora) builds its prompts with this same function."""
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    if isinstance(ids, dict) or hasattr(ids, "input_ids"):  # BatchEncoding in transformers 5
        ids = ids["input_ids"]
    return list(ids)


def native_bf16(device: str = "cpu") -> bool:
    """Whether `device` computes bfloat16 matrix products natively (not emulated in fp32)."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device != "cpu":
        return False
    try:  # Linux: the CPU's feature flags
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


MIXED = "float32+bf16-prompt"


def resolve_dtype(dtype: str, device: str = "cpu") -> str:
    """How the model computes: "float32", "bfloat16", or MIXED for "auto" on hardware with native
    bf16, where the prompt's pass (most of an invoice's LLM time) runs ~2.7x faster in bf16 while
    the answer stays in fp32 (all-bf16 cost ~1-2 F1 points on the dev slice; bench/llm_decoding.py)."""
    if dtype != "auto":
        return dtype
    return MIXED if native_bf16(device) else "float32"


def _has_tokenizer(d: Path) -> bool:
    return (d / "tokenizer.json").is_file() or (d / "tokenizer.model").is_file()
