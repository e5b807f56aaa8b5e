# chatocr: fp32 LoRA of Gemma 3 270M (google/gemma-3-270m, the second embedded model) on CPU with
# XTuner 0.2.0. Same recipe as smollm2_135m_lora_cpu.py (LoRA r=8/alpha=16 on all linear layers,
# AdamW 5e-4, warm-up 10, ValLossHook with the same interval/patience/samples, batch 1, max_length
# 1536), so the two embedded models are compared on equal terms; only the model, its chat template and
# its venv differ.
#
# It runs in .venv-xtuner-gemma (scripts/setup_xtuner_gemma.sh): XTuner 0.2.0 pins transformers 4.48,
# which has no Gemma 3, so that venv pairs XTuner (--no-deps) with transformers 4.56.2 / peft 0.17.1.
#   CONFIG=xtuner_config/gemma3_270m_lora_cpu.py XTUNER_VENV=.venv-xtuner-gemma ... (see README.md)
# Paths are relative to the repository root; the launcher (scripts/xtuner_run.py) runs there.
#
# CPU-specific choices: as in the SmolLM2 config (fp32 + OptimWrapper, no 4-bit, no activation
# checkpointing, map_num_proc=1, num_workers=0). The base model dir is the copy written by
# `scripts/xtuner_run.py prepare-base models/gemma3-270m models/gemma3-270m-xtuner` (transformers 4.56
# reads neither transformers 5's `rope_parameters` nor its tokenizer config).
import torch
from datasets import load_dataset
from mmengine.dataset import DefaultSampler
from mmengine.hooks import CheckpointHook, DistSamplerSeedHook, IterTimerHook, LoggerHook, ParamSchedulerHook
from mmengine.optim import LinearLR, OptimWrapper
from peft import LoraConfig
from torch.optim import AdamW
from transformers import AutoModelForCausalLM, AutoTokenizer

from xtuner.dataset import process_hf_dataset
from xtuner.dataset.collate_fns import default_collate_fn
from xtuner.dataset.map_fns import template_map_fn_factory
from xtuner.engine.hooks import DatasetInfoHook
from xtuner.engine.runner import TrainLoop
from xtuner.model import SupervisedFinetune

from scripts.xtuner_hooks import ValLossHook

#######################################################################
#                          PART 1  Settings                           #
#######################################################################
pretrained_model_name_or_path = "models/gemma3-270m-xtuner"

# XTuner single-turn samples {"conversation": [{"system", "input", "output"}]} written by
# generate_data with llm_stage.prompt.xtuner_sample (the builder the serving side uses).
data_path = "datasets/generated/train.jsonl"
# The validation file the learning curve is measured on (samples of documents never trained on);
# training stops when its loss has not improved for `val_patience` evaluations.
val_data_path = "datasets/generated/val.jsonl"
val_interval = 100
val_patience = 3
val_samples = 64

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
# The SmolLM2 config's length (1536, ~99% of samples whole in SmolLM2 tokens); Gemma writes the same
# samples in fewer tokens (a CJK character is one token, not 1-3), so fewer are cut. No packing.
max_length = 1536
pack_to_max_length = False

batch_size = 1
# One optimizer step per sample: on a shared 2-core CPU an iteration costs 10-50 s, and a budget
# of a few hundred iterations needs every one of them to be an update.
accumulative_counts = 1
dataloader_num_workers = 0
map_num_proc = 1
max_epochs = 3  # an upper bound: the validation loss decides when to stop
lr = 5e-4  # the SmolLM2 config's rate (LoRA on a small model tolerates more than the 7B's 2e-4)
betas = (0.9, 0.999)
weight_decay = 0
max_norm = 1
warmup_iters = 10

save_steps = val_interval  # every evaluation has its checkpoint (best.pth is kept aside)
save_total_limit = 3

#######################################################################
#                      PART 2  Model & Tokenizer                      #
#######################################################################
tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=pretrained_model_name_or_path,
    trust_remote_code=False,
    padding_side="right",
)

model = dict(
    type=SupervisedFinetune,
    use_activation_checkpointing=False,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=pretrained_model_name_or_path,
        trust_remote_code=False,
        torch_dtype=torch.float32,
        # transformers asks for eager attention when training Gemma 3 (sdpa is what it serves with;
        # without logit soft-capping the two compute the same attention).
        attn_implementation="eager",
    ),
    # r=8 on every linear layer, as for SmolLM2: Gemma's linear layers have the same names; ~1.9M
    # trainable parameters (18 layers), a ~8 MB fp32 adapter.
    lora=dict(
        type=LoraConfig,
        r=8,
        lora_alpha=16,
        lora_dropout=0.05,
        bias="none",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        task_type="CAUSAL_LM",
    ),
)

#######################################################################
#                      PART 3  Dataset & Dataloader                   #
#######################################################################
train_dataset = dict(
    type=process_hf_dataset,
    dataset=dict(type=load_dataset, path="json", data_files=dict(train=data_path)),
    tokenizer=tokenizer,
    max_length=max_length,
    dataset_map_fn=None,  # samples are already in XTuner's conversation format
    template_map_fn=dict(type=template_map_fn_factory, template=prompt_template),
    remove_unused_columns=True,
    shuffle_before_pack=True,
    pack_to_max_length=pack_to_max_length,
    map_num_proc=map_num_proc,
)

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=dataloader_num_workers,
    dataset=train_dataset,
    sampler=dict(type=DefaultSampler, shuffle=True),
    collate_fn=dict(type=default_collate_fn),
)

#######################################################################
#                    PART 4  Scheduler & Optimizer                    #
#######################################################################
optim_wrapper = dict(
    type=OptimWrapper,
    optimizer=dict(type=AdamW, lr=lr, betas=betas, weight_decay=weight_decay),
    clip_grad=dict(max_norm=max_norm, error_if_nonfinite=False),
    accumulative_counts=accumulative_counts,
)

# Linear warm-up, then the base rate held constant (training is cut by max_iters on a time budget,
# so a cosine tail tied to max_epochs would never be reached).
param_scheduler = [dict(type=LinearLR, start_factor=0.05, by_epoch=False, begin=0, end=warmup_iters)]

train_cfg = dict(type=TrainLoop, max_epochs=max_epochs)

#######################################################################
#                           PART 5  Runtime                           #
#######################################################################
# No EvaluateChatHook: on a CPU each generation costs tens of seconds; field accuracy on a val
# subset is measured between checkpoints by scripts/eval_adapter.py instead.
custom_hooks = [
    dict(type=DatasetInfoHook, tokenizer=tokenizer),
    dict(type=ValLossHook, val_file=val_data_path, interval=val_interval, patience=val_patience,
         max_samples=val_samples),
]  # fmt: skip

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, log_metric_by_epoch=False, interval=5),
    param_scheduler=dict(type=ParamSchedulerHook),
    checkpoint=dict(type=CheckpointHook, by_epoch=False, interval=save_steps, max_keep_ckpts=save_total_limit),
    sampler_seed=dict(type=DistSamplerSeedHook),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method="fork", opencv_num_threads=0),
    dist_cfg=dict(backend="gloo"),
)

visualizer = None
log_level = "INFO"
load_from = None
resume = False
randomness = dict(seed=1234, deterministic=False)
log_processor = dict(by_epoch=False)
