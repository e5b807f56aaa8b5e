# chatocr: fp32 LoRA of Gemma 3 270M (google/gemma-3-270m, the second embedded model) on CPU with
# XTuner 0.2.0. The CPU recipe of smollm2_135m_lora_cpu.py (both inherit _base_/cpu_lora.py), so the
# two embedded models are compared on equal terms; only the model, its chat template, its attention
# implementation and its venv differ.
#
# It runs in .venv-xtuner-gemma (xtuner_tools/setup_xtuner_gemma.sh): XTuner 0.2.0 pins transformers
# 4.48, which has no Gemma 3, so that venv pairs XTuner (--no-deps) with transformers 4.56.2 / peft 0.17.1.
#   chatocr finetune DIR --model gemma3-270m
#   CONFIG=chatocr/training/xtuner_config/gemma3_270m_lora_cpu.py XTUNER_VENV=.venv-xtuner-gemma \
#     SETUP=chatocr/training/xtuner_tools/setup_xtuner_gemma.sh scripts/train_cpu.sh   (see README.md)
# The base model dir is the copy written by `xtuner_run.py prepare-base models/gemma3-270m
# models/gemma3-270m-xtuner` (transformers 4.56 reads neither transformers 5's `rope_parameters` nor its
# tokenizer config).
from mmengine.config import read_base
from transformers import AutoTokenizer

from xtuner.engine.hooks import DatasetInfoHook
from xtuner_hooks import ValLossHook  # beside xtuner_run.py, which puts its folder on sys.path

with read_base():
    from ._base_.cpu_lora import *  # noqa: F403

pretrained_model_name_or_path = "models/gemma3-270m-xtuner"

# Gemma 3's chat template (llm_stage.embedded.GEMMA3_CHAT_TEMPLATE, what the serving tokenizer renders):
#   <bos><start_of_turn>user\n{system}\n\n{input}<end_of_turn>\n<start_of_turn>model\n{output}<end_of_turn>\n
# Gemma has no system role: the system prompt opens the first user turn, followed by a blank line.
# XTuner writes SYSTEM in front of INSTRUCTION, so SYSTEM opens the user turn and INSTRUCTION closes
# it; XTuner's encode_fn puts the tokenizer's bos (<bos>) first. The token ids then equal
# tokenizer.apply_chat_template(..., add_generation_prompt=True) + answer + <end_of_turn>\n exactly
# (tests/test_xtuner_gemma.py renders one sample both ways). XTuner's own `gemma` template uses a
# `system` turn that Gemma's template never writes. Every chatocr sample is single-turn with a system
# prompt, which this relies on (a sample without one would lose its "<start_of_turn>user\n").
prompt_template = dict(
    SYSTEM="<start_of_turn>user\n{system}\n\n",
    INSTRUCTION="{input}<end_of_turn>\n<start_of_turn>model\n",
    SUFFIX="<end_of_turn>",
    SUFFIX_AS_EOS=True,
    SEP="\n",
    STOP_WORDS=["<end_of_turn>"],
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
# transformers asks for eager attention when training Gemma 3 (sdpa is what it serves with; without
# logit soft-capping the two compute the same attention).
model.llm.attn_implementation = "eager"
# the CPU recipe's LoRA: Gemma's linear layers have the same names; ~1.9M trainable parameters
# (18 layers), a ~8 MB fp32 adapter.
train_dataloader.dataset.tokenizer = tokenizer
train_dataloader.dataset.template_map_fn.template = prompt_template

custom_hooks = [
    dict(type=DatasetInfoHook, tokenizer=tokenizer),
    dict(type=ValLossHook, val_file=val_data_path, interval=val_interval, patience=val_patience,
         max_samples=64),
]  # fmt: skip
