"""Labelled evaluation sets: a folder with `img/` and `labels.jsonl`, one line per image:
`{"image": "img/x.jpg", "doc_type": "...", "fields": {"field name": "value", ...}}`.
The real dev slices under shared/data/dev and the generator's test split use this format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


class DatasetError(ValueError):
    """The evaluation set is missing or malformed; the message names the file and line."""


@dataclass
class LabelledDoc:
    image: str  # as written in labels.jsonl, relative to the set's folder
    path: Path
    doc_type: str
    fields: dict[str, str | None]
    # a printed prompt injection on the document (injection corpus): text, target_field, value
    injection: dict | None = None


@dataclass
class Dataset:
    name: str
    root: Path
    docs: list[LabelledDoc] = field(default_factory=list)

    def fields_for(self, doc_type: str) -> list[str]:
        """Every field labelled on some document of this type, in first-seen order."""
        seen: dict[str, None] = {}
        for d in self.docs:
            if d.doc_type == doc_type:
                for k in d.fields:
                    seen.setdefault(k, None)
        return list(seen)


def load_dataset(folder: str | Path, limit: int | None = None) -> Dataset:
    root = Path(folder)
    labels = root / "labels.jsonl"
    if not root.is_dir():
        raise DatasetError(f"evaluation set {str(root)!r} is not a folder")
    if not labels.is_file():
        raise DatasetError(
            f"evaluation set {str(root)!r} has no labels.jsonl (expected img/ and labels.jsonl)"
        )
    docs: list[LabelledDoc] = []
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            image, fields = rec["image"], rec.get("fields") or {}
            if not isinstance(fields, dict):
                raise TypeError("fields is not an object")
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DatasetError(f"{labels}:{n}: not a label line ({e})") from None
        path = root / image
        if not path.is_file():
            raise DatasetError(f"{labels}:{n}: image {image!r} not found in {str(root)!r}")
        values = {
            str(k): (None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in fields.items()
        }
        docs.append(
            LabelledDoc(
                image=image,
                path=path,
                doc_type=str(rec.get("doc_type") or "document"),
                fields=values,
                injection=rec.get("injection") if isinstance(rec.get("injection"), dict) else None,
            )
        )
    if not docs:
        raise DatasetError(f"{labels} has no label lines")
    if limit:
        docs = docs[:limit]
    name = root.resolve().name
    return Dataset(name=name, root=root, docs=docs)
