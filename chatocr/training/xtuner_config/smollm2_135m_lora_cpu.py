# chatocr: fp32 LoRA of the embedded model (SmolLM2-135M-Instruct) on CPU with XTuner 0.2.0.
#
# Run it through the project's launcher (never plain `xtuner train`, which exits 0 on failure):
#   chatocr finetune DIR     # your own labelled documents (the launcher and this file ship in the package)
#   make train-cpu           # or scripts/train_cpu.sh: the synthetic data of the shipped adapter
# What the CPU recipes share (LoRA, optimizer, schedule, lengths, CPU choices) is in _base_/cpu_lora.py;
# this file holds the model, its chat template and its hooks. Relative paths are placeholders that
# the launchers override; the base model dir is the transformers-4.48-readable copy written by
# `xtuner_run.py prepare-base` (4.48 drops transformers 5's rope_parameters).
from mmengine.config import read_base
from transformers import AutoTokenizer

from xtuner.engine.hooks import DatasetInfoHook
from xtuner_hooks import ValLossHook  # beside xtuner_run.py, which puts its folder on sys.path

with read_base():
    from ._base_.cpu_lora import *  # noqa: F403

pretrained_model_name_or_path = "models/smollm2-135m-instruct-xtuner"

# SmolLM2's own chat template (ChatML), as its tokenizer renders it:
#   <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n
# SmolLM2's tokenizer declares bos_token=<|im_start|>, and XTuner's encode_fn puts the bos token in
# front of the first turn, so SYSTEM starts after it ("system\n…"): the token ids then equal
# tokenizer.apply_chat_template(..., add_generation_prompt=True) + answer + <|im_end|>\n exactly
# (tests/test_xtuner.py renders one sample both ways). XTuner's qwen_chat template would double the
# <|im_start|>. Every chatocr sample has a system prompt, which this relies on.
prompt_template = dict(
    SYSTEM="system\n{system}<|im_end|>\n",
    INSTRUCTION="<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n",
    SUFFIX="<|im_end|>",
    SUFFIX_AS_EOS=True,
    SEP="\n",
    STOP_WORDS=["<|im_end|>"],
)
# each model file builds its own tokenizer dict: _base_'s values are fixed when it is read, so a base
# tokenizer would keep the base's model path
tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=pretrained_model_name_or_path,
    trust_remote_code=False,
    padding_side="right",
)

model.llm.pretrained_model_name_or_path = pretrained_model_name_or_path
train_dataloader.dataset.tokenizer = tokenizer
train_dataloader.dataset.template_map_fn.template = prompt_template

# No EvaluateChatHook: on a CPU each generation costs tens of seconds; field accuracy on a val
# subset is measured between checkpoints by scripts/eval_adapter.py instead.
custom_hooks = [
    dict(type=DatasetInfoHook, tokenizer=tokenizer),
    dict(type=ValLossHook, val_file=val_data_path, interval=val_interval, patience=val_patience,
         max_samples=48),
]  # fmt: skip
