# chatocr production recipe: QLoRA of InternLM2-chat-7B on the generated key-information data.
# XTuner 0.2.0, one 24 GB-class CUDA GPU (see README.md for the memory table). Run it with
#   make train            # = scripts/train_gpu.sh: venv, train (resumable), pth_to_hf, merge
# What every recipe shares is in _base_/chatocr_sft.py; this file holds the GPU choices.
#
# mmengine configs cannot call functions at load time (a call becomes a lazy object and raises),
# and `with` blocks other than read_base() are refused, so the evaluation prompts cannot be read
# with json.load here. They live in chatocr_eval_inputs.py, a plain-literal file written by
# `python -m scripts.make_eval_inputs` from real val samples through llm_stage.prompt, and are
# read as a base config (evaluation_system, evaluation_inputs).
import torch
from mmengine.config import read_base
from mmengine.optim import AmpOptimWrapper, CosineAnnealingLR, LinearLR
from transformers import AutoTokenizer, BitsAndBytesConfig

from xtuner.engine.hooks import DatasetInfoHook, EvaluateChatHook
from xtuner.utils import PROMPT_TEMPLATE

with read_base():
    from ._base_.chatocr_sft import *  # noqa: F403
    from .chatocr_eval_inputs import *  # noqa: F403

# A hub id, or a local snapshot of it (offline machines: pass the dir via --cfg-options, as
# scripts/train_gpu.sh does with MODEL=...).
pretrained_model_name_or_path = "internlm/internlm2-chat-7b"
use_varlen_attn = False

# The generated train split, written by `make data` (generate_data).
data_path = "datasets/generated/run1500/train.jsonl"
# InternLM2's own chat format; llm_stage's lmdeploy/openai backends serve the model with the same
# template (lmdeploy's internlm2 chat template), and the system prompt is llm_stage.SYSTEM_PROMPT
# in every sample, so training and serving prompts match.
prompt_template = PROMPT_TEMPLATE.internlm2_chat

# Token lengths from the data card (datasets/README.md, measured with SmolLM2's tokenizer, chat
# template and answer included): mean 587, median 524, 95th percentile 1173, max 1632. InternLM2's
# 92k vocabulary encodes Chinese ~1.3-1.6x more compactly than SmolLM2's 49k one, so nearly all
# samples are <=~1100 InternLM2 tokens. max_length=2048 holds the longest sample whole with
# headroom for denser real documents, and packing fills each 2048-token row with ~3-4 samples of
# median length, which is what keeps a GPU busy at batch 1 (unpacked, most of every row would be
# padding). Packing without varlen attention lets packed samples see each other; XTuner's recipes
# accept that, and use_varlen_attn=True (needs flash-attn) removes it.
max_length = 2048
max_epochs = 3
warmup_ratio = 0.03

# Generation of the two real val prompts during training (answers printed to the log).
evaluation_freq = 200
SYSTEM = evaluation_system

tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=pretrained_model_name_or_path,
    trust_remote_code=True,
    padding_side="right",
)

model.use_varlen_attn = use_varlen_attn
model.use_activation_checkpointing = True
model.llm.update(
    pretrained_model_name_or_path=pretrained_model_name_or_path,
    trust_remote_code=True,
    torch_dtype=torch.bfloat16,
    # 4-bit NF4 with double quantisation, bf16 compute: ~4.5 GB of weights for 7.7B parameters.
    quantization_config=dict(
        type=BitsAndBytesConfig,
        load_in_4bit=True,
        load_in_8bit=False,
        llm_int8_threshold=6.0,
        llm_int8_has_fp16_weight=False,
        bnb_4bit_compute_dtype=torch.bfloat16,
        bnb_4bit_use_double_quant=True,
        bnb_4bit_quant_type="nf4",
    ),
)
# LoRA on every linear layer of InternLM2 (fused qkv, output, and the three FFN matrices): QLoRA's
# finding is that covering all linear layers matters more than the rank. r=64 with alpha=16 is
# XTuner's/QLoRA's tested setting for 7B models (scale alpha/r=0.25 keeps the update small at lr
# 2e-4); ~150M trainable parameters, a ~600 MB fp32 adapter.
model.lora.update(r=64, lora_alpha=16, lora_dropout=0.1, target_modules=["wqkv", "wo", "w1", "w2", "w3"])

train_dataloader.dataset.dataset.data_files.train = data_path
train_dataloader.dataset.update(
    tokenizer=tokenizer,
    max_length=max_length,
    pack_to_max_length=True,
    use_varlen_attn=use_varlen_attn,
    map_num_proc=4,  # XTuner defaults to 32 tokenising processes
)
train_dataloader.dataset.template_map_fn.template = prompt_template
train_dataloader.collate_fn.use_varlen_attn = use_varlen_attn

# batch 1 per device (a packed row is ~3 samples) x 16 accumulated: an effective batch of ~48 samples
optim_wrapper.update(type=AmpOptimWrapper, accumulative_counts=16, loss_scale="dynamic", dtype="bfloat16")
optim_wrapper.optimizer.lr = 2e-4

param_scheduler = [
    dict(type=LinearLR, start_factor=1e-5, by_epoch=True, begin=0, end=warmup_ratio * max_epochs,
         convert_to_iter_based=True),
    dict(type=CosineAnnealingLR, eta_min=0.0, by_epoch=True, begin=warmup_ratio * max_epochs,
         end=max_epochs, convert_to_iter_based=True),
]  # fmt: skip

train_cfg.max_epochs = max_epochs

custom_hooks = [
    dict(type=DatasetInfoHook, tokenizer=tokenizer),
    dict(
        type=EvaluateChatHook,
        tokenizer=tokenizer,
        every_n_iters=evaluation_freq,
        evaluation_inputs=evaluation_inputs,
        system=SYSTEM,
        prompt_template=prompt_template,
        max_new_tokens=256,
    ),
]

default_hooks.checkpoint.update(interval=200, max_keep_ckpts=2)
