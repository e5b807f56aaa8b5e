"""Fine-tuning the embedded model on a user's own labelled documents (`chatocr finetune`).

`folder` checks a labelled folder, `samples` writes its training samples, `recipes` says how each
embedded model is trained (the XTuner configs and tools ship in `xtuner_config/` and `xtuner_tools/`
beside these modules), `xtuner` runs XTuner in its own venv, `provenance` writes what was done and
`run` composes them. `torch_lora` trains the same LoRA without XTuner (plain torch + peft, CPU or
CUDA) and `base_pack` packs the base model losslessly to travel to a GPU machine in parts.
"""

from .folder import ENOUGH_DOCUMENTS, MIN_DOCUMENTS, FolderError, FolderReport, check_folder, split_holdout
from .run import Options, finetune
from .xtuner import FinetuneError

__all__ = [
    "ENOUGH_DOCUMENTS",
    "MIN_DOCUMENTS",
    "FinetuneError",
    "FolderError",
    "FolderReport",
    "Options",
    "check_folder",
    "finetune",
    "split_holdout",
]
