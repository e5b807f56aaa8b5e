# What every chatocr XTuner recipe shares: supervised fine-tuning of a causal LM with a LoRA, on
# single-turn samples {"conversation": [{"system", "input", "output"}]} written by
# llm_stage.prompt.xtuner_sample (the builder the serving side uses), batch 1, AdamW, no EvaluateChatHook
# unless a recipe adds it. The recipes beside this folder inherit it and set what is theirs: the model
# and its tokenizer, the chat template, sequence length, precision, the LoRA's rank and targets, the
# schedule and the hooks.
#
# mmengine's pure-Python config style: a recipe takes these variables with
#   with read_base():
#       from ._base_.chatocr_sft import *
# and changes what is its own in place (`model.llm.pretrained_model_name_or_path = …`). A variable is
# read where it is written, so a recipe that changes the model path writes it into `tokenizer`,
# `model.llm` and the dataset's tokenizer itself; launchers override the same places
# (chatocr.training.xtuner.model_options). Imports are lazy (resolved when XTuner builds the object),
# and the config dumps back to Python in the run's work dir, which the `_base_ = [...]` style cannot
# do once a config imports classes.
from datasets import load_dataset
from mmengine.dataset import DefaultSampler
from mmengine.hooks import CheckpointHook, DistSamplerSeedHook, IterTimerHook, LoggerHook, ParamSchedulerHook
from peft import LoraConfig
from torch.optim import AdamW
from transformers import AutoModelForCausalLM

from xtuner.dataset import process_hf_dataset
from xtuner.dataset.collate_fns import default_collate_fn
from xtuner.dataset.map_fns import template_map_fn_factory
from xtuner.engine.runner import TrainLoop
from xtuner.model import SupervisedFinetune

model = dict(
    type=SupervisedFinetune,
    llm=dict(type=AutoModelForCausalLM.from_pretrained, trust_remote_code=False),
    lora=dict(type=LoraConfig, bias="none", task_type="CAUSAL_LM"),
)

train_dataloader = dict(
    batch_size=1,
    num_workers=0,
    dataset=dict(
        type=process_hf_dataset,
        dataset=dict(type=load_dataset, path="json", data_files=dict(train="datasets/generated/train.jsonl")),
        dataset_map_fn=None,  # samples are already in XTuner's conversation format
        template_map_fn=dict(type=template_map_fn_factory),
        remove_unused_columns=True,
        shuffle_before_pack=True,
    ),
    sampler=dict(type=DefaultSampler, shuffle=True),
    collate_fn=dict(type=default_collate_fn),
)

optim_wrapper = dict(
    optimizer=dict(type=AdamW, betas=(0.9, 0.999), weight_decay=0),
    clip_grad=dict(max_norm=1, error_if_nonfinite=False),
)

train_cfg = dict(type=TrainLoop, max_epochs=3)

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, log_metric_by_epoch=False, interval=10),
    param_scheduler=dict(type=ParamSchedulerHook),
    checkpoint=dict(type=CheckpointHook, by_epoch=False),
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
