"""A folder of the user's labelled documents (`img/` + `labels.jsonl`, the eval-set format): checked
as a whole, every problem named at once, and split into documents to train on and to hold out."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ocr_stage import DOCUMENT_SUFFIXES

from ..evaluation.dataset import Dataset, DatasetError, LabelledDoc, load_dataset

MIN_DOCUMENTS = 2  # one to train on and one to hold out; fewer is refused
ENOUGH_DOCUMENTS = 5  # fewer than this: a warning, not a refusal
SHOWN_PROBLEMS = 30


class FolderError(DatasetError):
    """The labelled folder does not match its images; the message lists every problem."""


@dataclass
class FolderReport:
    """What `check_folder` found: the documents, and warnings that do not stop a run."""

    dataset: Dataset
    warnings: list[str] = field(default_factory=list)

    @property
    def fields(self) -> list[str]:
        return list(dict.fromkeys(k for d in self.dataset.docs for k in d.fields))

    def summary(self) -> str:
        n = len(self.dataset.docs)
        return f"{n} labelled document{'s' if n != 1 else ''}; fields: {', '.join(self.fields)}"


def _has_value(fields: dict) -> bool:
    return any(
        isinstance(v, str) and v.strip() or isinstance(v, (int, float, list, dict)) for v in fields.values()
    )


def _line_problems(root: Path, labels: Path) -> tuple[list[str], dict[Path, int]]:
    """Problems of the label lines, and the images they label (resolved path -> line number)."""
    problems: list[str] = []
    labelled: dict[Path, int] = {}
    for n, line in enumerate(labels.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        where = f"labels.jsonl:{n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("image"), str) or not rec["image"]:
            problems.append(f'{where}: no "image" (expected {{"image": "img/x.jpg", "fields": {{...}}}})')
            continue
        image = rec["image"]
        fields = rec.get("fields")
        if not isinstance(fields, dict):
            problems.append(f'{where}: "fields" is missing or not an object ({image})')
        elif not _has_value(fields):
            problems.append(
                f"{where}: no labelled field value ({image}: {json.dumps(fields, ensure_ascii=False)})"
            )
        elif any(not str(k).strip() for k in fields):
            problems.append(f"{where}: an empty field name ({image})")
        path = (root / image).resolve()
        if Path(image).suffix.lower() not in DOCUMENT_SUFFIXES:
            problems.append(
                f"{where}: {image!r} is not an image or PDF (expected one of {', '.join(sorted(DOCUMENT_SUFFIXES))})"
            )
        elif not (root / image).is_file():
            problems.append(f"{where}: image {image!r} not found")
        elif path in labelled:
            problems.append(f"{where}: image {image!r} is already labelled on line {labelled[path]}")
        else:
            labelled[path] = n
    return problems, labelled


def check_folder(folder: str | Path) -> FolderReport:
    """The labelled documents of `folder`, or FolderError naming every problem at once: no
    labels.jsonl, lines that are not JSON or lack an image or a labelled value, images that are
    missing or not images, images without a label line, the same image labelled twice, fewer than
    MIN_DOCUMENTS documents."""
    root = Path(folder)
    if not root.is_dir():
        raise FolderError(f"{str(root)!r} is not a folder (expected img/ and labels.jsonl)")
    labels = root / "labels.jsonl"
    if not labels.is_file():
        raise FolderError(f"{str(root)!r} has no labels.jsonl (expected img/ and labels.jsonl)")
    problems, labelled = _line_problems(root, labels)
    on_disk = [
        p for p in sorted((root / "img").rglob("*")) if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
    ]
    for p in on_disk:
        if p.resolve() not in labelled:
            problems.append(f"{p.relative_to(root)}: image without a label line")
    if not problems and len(labelled) < MIN_DOCUMENTS:
        problems.append(
            f"too few documents: {len(labelled)} labelled, at least {MIN_DOCUMENTS} needed "
            f"(one to train on, one to score); {ENOUGH_DOCUMENTS} or more give a model that generalises"
        )
    if problems:
        shown = problems[:SHOWN_PROBLEMS]
        if len(problems) > SHOWN_PROBLEMS:
            shown.append(f"… and {len(problems) - SHOWN_PROBLEMS} more")
        raise FolderError(
            f"{str(root)!r}: {len(problems)} problem(s) with the labels:\n  " + "\n  ".join(shown)
        )
    report = FolderReport(load_dataset(root))
    n = len(report.dataset.docs)
    if n < ENOUGH_DOCUMENTS:
        report.warnings.append(
            f"only {n} labelled documents; {ENOUGH_DOCUMENTS} or more give a model that generalises"
        )
    return report


def split_holdout(
    docs: list[LabelledDoc], share: float, seed: int
) -> tuple[list[LabelledDoc], list[LabelledDoc]]:
    """(train, held out): round(share x documents) held out, chosen by `seed` (at least 1 trains)."""
    n_hold = min(int(len(docs) * share + 0.5), len(docs) - 1) if share > 0 else 0
    order = list(range(len(docs)))
    random.Random(f"holdout-{seed}").shuffle(order)
    hold = set(order[:n_hold])
    return [d for i, d in enumerate(docs) if i not in hold], [d for i, d in enumerate(docs) if i in hold]
