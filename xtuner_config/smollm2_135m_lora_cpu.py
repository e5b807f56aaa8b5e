# chatocr: fp32 LoRA of the embedded model (SmolLM2-135M-Instruct) on CPU with XTuner 0.2.0.
#
# Run it through the project's launcher (never plain `xtuner train`, which exits 0 on failure):
#   make train-cpu            # or: scripts/train_cpu.sh
# Paths are relative to the repository root; the launcher runs there.
#
# CPU-specific choices (vs. the GPU recipe internlm2_chat_7b_qlora_chatocr_e3.py):
# - fp32 weights and the plain OptimWrapper: AmpOptimWrapper(fp16) needs CUDA.
# - no 4-bit quantisation: bitsandbytes 0.45 has no CPU kernels; the model is 135M parameters.
# - no activation checkpointing: memory is not the limit here, recomputation only costs time.
# - map_num_proc=1 and num_workers=0: XTuner defaults to 32 tokenising processes.
# - the base model dir is the transformers-4.48-readable copy written by
#   `scripts/xtuner_run.py prepare-base` (4.48 drops transformers 5's rope_parameters).
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
pretrained_model_name_or_path = "models/smollm2-135m-instruct-xtuner"

# XTuner single-turn samples {"conversation": [{"system", "input", "output"}]} written by
# generate_data with llm_stage.prompt.xtuner_sample (the builder the serving side uses).
data_path = "datasets/generated/train.jsonl"
# The validation file the learning curve is measured on (samples of documents never trained on);
# training stops when its loss has not improved for `val_patience` evaluations.
val_data_path = "datasets/generated/val.jsonl"
val_interval = 100
val_patience = 3
val_samples = 48

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
# Token lengths from the data card (datasets/README.md, SmolLM2 tokens incl. template and answer):
# mean 587, median 524, 95th percentile 1173, max 1632 (SmolLM2 spends 1-3 tokens per CJK
# character). 1536 keeps ~99% of samples whole (a longer one loses the end of its answer) while
# bounding the cost of the longest rows on a CPU. No packing: without varlen attention a packed
# row lets samples attend to each other, and at batch 1 on a CPU packing buys nothing.
max_length = 1536
pack_to_max_length = False

batch_size = 1
# One optimizer step per sample: on a shared 2-core CPU an iteration costs 10-50 s, and a budget
# of a few hundred iterations needs every one of them to be an update.
accumulative_counts = 1
dataloader_num_workers = 0
map_num_proc = 1
max_epochs = 3  # an upper bound: the validation loss decides when to stop
lr = 5e-4  # LoRA on a 135M model tolerates a higher rate than the 7B recipe's 2e-4
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
    ),
    # r=8 on every linear layer: ~4.9M trainable parameters, a 19 MB fp32 adapter at r=16 would
    # brush the 20 MB limit for a committed file; r=8 (~10 MB) learns this narrow task.
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
