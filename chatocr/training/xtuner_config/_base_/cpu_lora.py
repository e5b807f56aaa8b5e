# What the CPU recipes share (the embedded models, smollm2_135m_lora_cpu.py and gemma3_270m_lora_cpu.py):
# an fp32 LoRA r=8/alpha=16 on every linear layer, AdamW 5e-4 after a 10-step warm-up, batch 1 without
# packing, max_length 1536, checkpoints every 100 steps, so the two models are compared on equal terms.
# CPU-specific choices (vs. the GPU recipe internlm2_chat_7b_qlora_chatocr_e3.py):
# - fp32 weights and the plain OptimWrapper: AmpOptimWrapper(fp16) needs CUDA.
# - no 4-bit quantisation: bitsandbytes 0.45 has no CPU kernels; the models are 135M-270M parameters.
# - no activation checkpointing: memory is not the limit here, recomputation only costs time.
# - map_num_proc=1 and num_workers=0: XTuner defaults to 32 tokenising processes.
# - gloo, not nccl, for mmengine's process group.
# A recipe adds its custom_hooks (a DatasetInfoHook with its tokenizer and the ValLossHook of
# xtuner_hooks.py with these val_* settings).
import torch
from mmengine.config import read_base
from mmengine.optim import LinearLR, OptimWrapper

with read_base():
    from .chatocr_sft import *  # noqa: F403

# Token lengths from the data card (datasets/README.md, SmolLM2 tokens incl. template and answer):
# mean 587, median 524, 95th percentile 1173, max 1632 (SmolLM2 spends 1-3 tokens per CJK
# character; Gemma writes the same samples in fewer). 1536 keeps ~99% of samples whole (a longer one
# loses the end of its answer) while bounding the cost of the longest rows on a CPU. No packing:
# without varlen attention a packed row lets samples attend to each other, and at batch 1 on a CPU
# packing buys nothing.
max_length = 1536

# The validation file the learning curve is measured on (samples of documents never trained on);
# training stops when its loss has not improved for `val_patience` evaluations.
val_data_path = "datasets/generated/val.jsonl"
val_interval = 100
val_patience = 3

model.use_activation_checkpointing = False
model.llm.torch_dtype = torch.float32
# r=8 on every linear layer: a 19 MB fp32 adapter at r=16 would brush the 20 MB limit for a committed
# file; r=8 (~10 MB for SmolLM2) learns this narrow task.
model.lora.update(
    r=8,
    lora_alpha=16,
    lora_dropout=0.05,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
)

train_dataloader.dataset.update(max_length=max_length, pack_to_max_length=False, map_num_proc=1)

# One optimizer step per sample: on a shared 2-core CPU an iteration costs 10-50 s, and a budget of a
# few hundred iterations needs every one of them to be an update. LoRA on a small model tolerates a
# higher rate than the 7B recipe's 2e-4.
optim_wrapper.type = OptimWrapper
optim_wrapper.optimizer.lr = 5e-4
optim_wrapper.accumulative_counts = 1

# Linear warm-up, then the base rate held constant (training is cut by max_iters on a time budget,
# so a cosine tail tied to max_epochs would never be reached).
param_scheduler = [dict(type=LinearLR, start_factor=0.05, by_epoch=False, begin=0, end=10)]

train_cfg.max_epochs = 3  # an upper bound: the validation loss decides when to stop

default_hooks.logger.interval = 5
# every evaluation has its checkpoint (best.pth is kept aside)
default_hooks.checkpoint.update(interval=val_interval, max_keep_ckpts=3)

env_cfg.dist_cfg.backend = "gloo"
