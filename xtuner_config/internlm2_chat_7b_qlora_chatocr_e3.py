# chatocr production recipe: QLoRA of InternLM2-chat-7B on the generated key-information data.
# XTuner 0.2.0, one 24 GB-class CUDA GPU (see README.md for the memory table). Run it with
#   make train            # = scripts/train_gpu.sh: venv, train (resumable), pth_to_hf, merge
#
# mmengine configs cannot call functions at load time (a call becomes a lazy object and raises),
# and `with` blocks other than read_base() are refused, so the evaluation prompts cannot be read
# with json.load here. They live in chatocr_eval_inputs.py, a plain-literal file written by
# `python -m scripts.make_eval_inputs` from real val samples through llm_stage.prompt, and are
# pulled in as a base config and referenced with {{_base_.…}} (substituted when the file is parsed).
_base_ = ["./chatocr_eval_inputs.py"]

import torch
from datasets import load_dataset
from mmengine.dataset import DefaultSampler
from mmengine.hooks import CheckpointHook, DistSamplerSeedHook, IterTimerHook, LoggerHook, ParamSchedulerHook
from mmengine.optim import AmpOptimWrapper, CosineAnnealingLR, LinearLR
from peft import LoraConfig
from torch.optim import AdamW
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

from xtuner.dataset import process_hf_dataset
from xtuner.dataset.collate_fns import default_collate_fn
from xtuner.dataset.map_fns import template_map_fn_factory
from xtuner.engine.hooks import DatasetInfoHook, EvaluateChatHook
from xtuner.engine.runner import TrainLoop
from xtuner.model import SupervisedFinetune
from xtuner.utils import PROMPT_TEMPLATE

#######################################################################
#                          PART 1  Settings                           #
#######################################################################
# A hub id, or a local snapshot of it (offline machines: pass the dir via --cfg-options, as
# scripts/train_gpu.sh does with MODEL=...).
pretrained_model_name_or_path = "internlm/internlm2-chat-7b"
use_varlen_attn = False

# The generated train split: XTuner single-turn samples {"conversation": [{system, input, output}]}
# written by `make data` (generate_data) through llm_stage.prompt.xtuner_sample.
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
pack_to_max_length = True

batch_size = 1  # per device; a packed row is ~3 samples
accumulative_counts = 16  # effective batch ~48 samples
dataloader_num_workers = 0
map_num_proc = 4  # XTuner defaults to 32 tokenising processes
max_epochs = 3
optim_type = AdamW
lr = 2e-4
betas = (0.9, 0.999)
weight_decay = 0
max_norm = 1
warmup_ratio = 0.03

save_steps = 200
save_total_limit = 2

# Generation of the two real val prompts during training (answers printed to the log).
evaluation_freq = 200
SYSTEM = {{_base_.evaluation_system}}
evaluation_inputs = {{_base_.evaluation_inputs}}

#######################################################################
#                      PART 2  Model & Tokenizer                      #
#######################################################################
tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=pretrained_model_name_or_path,
    trust_remote_code=True,
    padding_side="right",
)

model = dict(
    type=SupervisedFinetune,
    use_varlen_attn=use_varlen_attn,
    use_activation_checkpointing=True,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
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
    ),
    # LoRA on every linear layer of InternLM2 (fused qkv, output, and the three FFN matrices):
    # QLoRA's finding is that covering all linear layers matters more than the rank. r=64 with
    # alpha=16 is XTuner's/QLoRA's tested setting for 7B models (scale alpha/r=0.25 keeps the
    # update small at lr 2e-4); ~150M trainable parameters, a ~600 MB fp32 adapter.
    lora=dict(
        type=LoraConfig,
        r=64,
        lora_alpha=16,
        lora_dropout=0.1,
        bias="none",
        target_modules=["wqkv", "wo", "w1", "w2", "w3"],
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
    dataset_map_fn=None,  # samples are already XTuner conversations
    template_map_fn=dict(type=template_map_fn_factory, template=prompt_template),
    remove_unused_columns=True,
    shuffle_before_pack=True,
    pack_to_max_length=pack_to_max_length,
    use_varlen_attn=use_varlen_attn,
    map_num_proc=map_num_proc,
)

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=dataloader_num_workers,
    dataset=train_dataset,
    sampler=dict(type=DefaultSampler, shuffle=True),
    collate_fn=dict(type=default_collate_fn, use_varlen_attn=use_varlen_attn),
)

#######################################################################
#                    PART 4  Scheduler & Optimizer                    #
#######################################################################
optim_wrapper = dict(
    type=AmpOptimWrapper,
    optimizer=dict(type=optim_type, lr=lr, betas=betas, weight_decay=weight_decay),
    clip_grad=dict(max_norm=max_norm, error_if_nonfinite=False),
    accumulative_counts=accumulative_counts,
    loss_scale="dynamic",
    dtype="bfloat16",
)

param_scheduler = [
    dict(type=LinearLR, start_factor=1e-5, by_epoch=True, begin=0, end=warmup_ratio * max_epochs,
         convert_to_iter_based=True),
    dict(type=CosineAnnealingLR, eta_min=0.0, by_epoch=True, begin=warmup_ratio * max_epochs,
         end=max_epochs, convert_to_iter_based=True),
]

train_cfg = dict(type=TrainLoop, max_epochs=max_epochs)

#######################################################################
#                           PART 5  Runtime                           #
#######################################################################
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

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, log_metric_by_epoch=False, interval=10),
    param_scheduler=dict(type=ParamSchedulerHook),
    checkpoint=dict(type=CheckpointHook, by_epoch=False, interval=save_steps, max_keep_ckpts=save_total_limit),
    sampler_seed=dict(type=DistSamplerSeedHook),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method="fork", opencv_num_threads=0),
    dist_cfg=dict(backend="nccl"),
)

visualizer = None
log_level = "INFO"
load_from = None
resume = False
randomness = dict(seed=1234, deterministic=False)
log_processor = dict(by_epoch=False)
