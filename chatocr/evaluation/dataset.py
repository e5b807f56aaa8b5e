"""Labelled evaluation sets: a folder with `img/` and `labels.jsonl`, one line per image:
`{"image": "img/x.jpg", "doc_type": "...", "fields": {"field name": "value", ...}}`.
The real dev slices under shared/data/dev and the generator's test split use this format.
A line-items field is labelled with a list of records (`llm_stage.types.ITEM_KEYS`); extra item
labels, `{"image": "img/x.jpg", "items": [...]}` per line, can be merged in as the field
ITEMS_FIELD (`load_dataset(..., items_labels=...)`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from llm_stage.items import ITEMS_FIELD  # the field merged item labels are asked and scored as


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


def load_dataset(
    folder: str | Path, limit: int | None = None, items_labels: str | Path | None = None
) -> Dataset:
    """The labelled set in `folder` (its first `limit` documents), with the item labels of
    `items_labels` merged in as the field ITEMS_FIELD (see `merge_item_labels`)."""
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
            # the generator's test splits keep line items apart from the scalar fields
            lists = rec.get("line_items") or {}
            if not isinstance(lists, dict):
                raise TypeError("line_items is not an object")
            fields = {**fields, **lists}
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
    if items_labels is not None:  # before the limit: the file names images of the whole set
        merge_item_labels(docs, items_labels)
    if limit:
        docs = docs[:limit]
    name = root.resolve().name
    return Dataset(name=name, root=root, docs=docs)


def merge_item_labels(docs: list[LabelledDoc], path: str | Path) -> None:
    """Label ITEMS_FIELD of `docs` from a JSONL file of `{"image": ..., "items": [records]}` lines
    (matched by image; a label there replaces one in labels.jsonl). A document the file does not
    name keeps the field unlabelled. An image that is not in the set, or named twice, is an error."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"item labels {str(p)!r} not found")
    by_image = {d.image: d for d in docs}
    seen: set[str] = set()
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            image, items = rec["image"], rec["items"]
            if not isinstance(items, list) or not all(isinstance(r, dict) for r in items):
                raise TypeError("items is not a list of objects")
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DatasetError(f"{p}:{n}: not an item label line ({e})") from None
        if image not in by_image:
            raise DatasetError(f"{p}:{n}: image {image!r} is not in the labelled set")
        if image in seen:
            raise DatasetError(f"{p}:{n}: image {image!r} is labelled twice")
        seen.add(image)
        by_image[image].fields[ITEMS_FIELD] = json.dumps(items, ensure_ascii=False)
