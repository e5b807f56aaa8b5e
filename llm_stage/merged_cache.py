"""Load-time caches of the transformers backend, kept under models/.cache/ and keyed by content:
a LoRA adapter merged into its base (merging at every start cost ~5 s of CPU plus ~3 s to import
and apply peft), and a tokenizer's byte table for constrained decoding (~0.8 s to rebuild).

A key changes whenever what went into the entry changes, so an entry is never stale; entries are
written to a temporary directory and renamed, so a reader never sees half of one. Where models/ is
not writable the caches are skipped and the work is done at every load, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import sys
from pathlib import Path

MERGED_FORMAT = 1  # bump when what a merged entry holds changes


def cache_dir() -> Path:
    from .embedded import models_dir

    return models_dir() / ".cache"


def _hash_file(h, path: Path) -> None:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)


def _hash_safetensors_identity(h, path: Path) -> None:
    """A base model's weights by their safetensors header (every tensor's name, dtype, shape and
    offsets), size and modification time: hashing all of a 0.5 GB file would cost a second a start."""
    st = path.stat()
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h.update(f.read(min(n, 100_000_000)))
    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())


def merge_key(base: Path, adapter: Path) -> str:
    """The content key of `adapter` merged into `base`: every byte of the adapter (a few MB), the
    base's config and tokenizer files and its weights' identity."""
    h = hashlib.sha256(f"merged-v{MERGED_FORMAT}".encode())
    for root in (base, adapter):
        for p in sorted(root.iterdir()):
            if not p.is_file() or p.name.startswith("."):
                continue
            h.update(b"\0" + root.name.encode() + b"/" + p.name.encode() + b"\0")
            if p.suffix == ".safetensors" and root == base:
                _hash_safetensors_identity(h, p)
            else:
                _hash_file(h, p)
    return h.hexdigest()[:24]


def _ready(d: Path) -> bool:
    return (
        (d / "config.json").is_file()
        and (d / "model.safetensors").is_file()
        and (d / "tokenizer.json").is_file()
    )


def cached_merge(base: Path, adapter: Path) -> Path | None:
    """The directory of `adapter` merged into `base`, if it is cached."""
    d = cache_dir() / f"merged-{merge_key(base, adapter)}"
    return d if _ready(d) else None


def store_merge(base: Path, adapter: Path, model, tokenizer) -> Path | None:
    """Save a merged fp32 model and its tokenizer for the next load; None where it cannot be written."""
    d = cache_dir() / f"merged-{merge_key(base, adapter)}"
    tmp = d.with_name(f"{d.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        (tmp / "chatocr_merge.json").write_text(
            json.dumps({"base": str(base), "adapter": str(adapter)}, indent=1) + "\n", encoding="utf-8"
        )
        if _ready(d):  # another process stored it meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
            return d
        shutil.rmtree(d, ignore_errors=True)  # a leftover without its weights
        os.replace(tmp, d)
        return d
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"chatocr: merged model not cached ({e}); the adapter is merged at every load", file=sys.stderr)
        return None


def cached_byte_table(tokenizer_dir: Path, build) -> list[bytes | None]:
    """`build()` (the token byte table), cached by the hash of the tokenizer's files."""
    h = hashlib.sha256(b"bytes-v1")
    files = [
        p
        for p in sorted(tokenizer_dir.iterdir())
        if p.is_file() and ("token" in p.name or p.suffix == ".jinja")
    ]
    for p in files:
        h.update(p.name.encode() + b"\0")
        _hash_file(h, p)
    path = cache_dir() / f"bytes-{h.hexdigest()[:24]}.json"
    try:
        return [
            None if s is None else s.encode("latin-1") for s in json.loads(path.read_text(encoding="utf-8"))
        ]
    except (OSError, ValueError, AttributeError):
        pass
    table = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        tmp.write_text(
            json.dumps([None if b is None else b.decode("latin-1") for b in table]), encoding="utf-8"
        )
        os.replace(tmp, path)
    except OSError:
        pass
    return table
