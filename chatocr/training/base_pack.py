"""The embedded base model packed small enough to travel in pieces, rebuilt bit for bit.

The converted SmolLM2-135M-Instruct (models/smollm2-135m-instruct, 538 MB of fp32) is the GGUF's
Q4_1 / Q8_0 weights dequantised by gguf-py: every block of 32 values is `d*q + m` (Q4_1: q in 0..15,
d and m float16) or `q*d` (Q8_0: q in -127..127). `pack` finds each block's d, m and q again from
the fp32 values and keeps them (5 bits a weight for the layers, 8.5 for the embedding; a block that
does not fit either form is kept as fp32), checks that unpacking gives back the identical fp32
bytes, and cuts the result into parts of at most `--part-mib`: ~95 MiB in all, so a machine that
takes 64 MiB of files per call (the working tree included) gets it over a few calls. `unpack`
rebuilds the model directory from the parts (sha256 checked). numpy + safetensors only.

  python -m chatocr.training.base_pack pack models/smollm2-135m-instruct work_dirs/smollm2-pack
  python -m chatocr.training.base_pack unpack work_dirs/smollm2-pack /tmp/smollm2-135m-instruct
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

BLOCK = 32
WEIGHTS = "model.safetensors"
BLOB = "pack.safetensors"


def _f16_candidates(x: np.ndarray, spread: int = 2) -> list[np.ndarray]:
    """x rounded to float16, and its float16 neighbours up to `spread` steps away (as float32)."""
    h = x.astype(np.float16).view(np.uint16).astype(np.int32)
    out = []
    for k in [0, *[s for i in range(1, spread + 1) for s in (i, -i)]]:
        out.append(np.clip(h + k, 0, 0xFFFF).astype(np.uint16).view(np.float16).astype(np.float32))
    return out


def _fit_q4_1(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per block (rows of w): q (uint8 0..15), d, m (float16), ok (whether d*q+m == w exactly)."""
    m = w.min(1)
    m16 = m.astype(np.float16)
    span = (w.max(1) - m) / 15
    q = np.zeros(w.shape, np.uint8)
    d16 = np.zeros(len(w), np.float16)
    ok = np.zeros(len(w), bool)
    for d in _f16_candidates(span):
        with np.errstate(divide="ignore", invalid="ignore"):
            qc = np.where(d[:, None] > 0, np.rint((w - m[:, None]) / d[:, None]), 0)
        qc = np.clip(qc, 0, 15).astype(np.float32)
        good = ~ok & np.all(d[:, None] * qc + m16.astype(np.float32)[:, None] == w, axis=1)
        q[good], d16[good] = qc[good].astype(np.uint8), d[good].astype(np.float16)
        ok |= good
    return q, d16, m16, ok & (m16.astype(np.float32) == m)


def _fit_q8_0(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block: q (int8), d (float16), ok (whether q*d == w exactly)."""
    amax = np.abs(w).max(1) / 127
    q = np.zeros(w.shape, np.int8)
    d16 = np.zeros(len(w), np.float16)
    ok = np.zeros(len(w), bool)
    for d in _f16_candidates(amax):
        with np.errstate(divide="ignore", invalid="ignore"):
            qc = np.where(d[:, None] > 0, np.rint(w / d[:, None]), 0)
        qc = np.clip(qc, -127, 127).astype(np.float32)
        good = ~ok & np.all(qc * d[:, None] == w, axis=1)
        q[good], d16[good] = qc[good].astype(np.int8), d[good].astype(np.float16)
        ok |= good
    return q, d16, ok


def pack_tensor(name: str, t: np.ndarray, arrays: dict, specs: dict) -> None:
    spec = {"shape": list(t.shape), "dtype": str(t.dtype)}
    if t.dtype != np.float32 or t.size % BLOCK:
        spec["kind"] = "raw"
        arrays[f"{name}/raw"] = t
        specs[name] = spec
        return
    w = t.reshape(-1, BLOCK)
    q4, d4, m4, ok4 = _fit_q4_1(w)
    if ok4.mean() > 0.99:
        spec["kind"] = "q4_1"
        arrays[f"{name}/q"] = (q4[:, 0::2] | (q4[:, 1::2] << 4)).astype(np.uint8)
        arrays[f"{name}/d"], arrays[f"{name}/m"] = d4, m4
        bad = ~ok4
    else:
        q8, d8, ok8 = _fit_q8_0(w)
        if ok8.mean() <= 0.99:
            spec["kind"] = "raw"
            arrays[f"{name}/raw"] = t
            specs[name] = spec
            return
        spec["kind"] = "q8_0"
        arrays[f"{name}/q"], arrays[f"{name}/d"] = q8, d8
        bad = ~ok8
    if bad.any():
        arrays[f"{name}/fix_idx"] = np.nonzero(bad)[0].astype(np.int64)
        arrays[f"{name}/fix_val"] = w[bad]
    specs[name] = spec


def unpack_tensor(name: str, spec: dict, arrays: dict) -> np.ndarray:
    if spec["kind"] == "raw":
        return arrays[f"{name}/raw"]
    if spec["kind"] == "q4_1":
        b = arrays[f"{name}/q"]
        q = np.empty((b.shape[0], BLOCK), np.float32)
        q[:, 0::2], q[:, 1::2] = b & 15, b >> 4
        w = (
            arrays[f"{name}/d"].astype(np.float32)[:, None] * q
            + arrays[f"{name}/m"].astype(np.float32)[:, None]
        )
    else:
        w = arrays[f"{name}/q"].astype(np.float32) * arrays[f"{name}/d"].astype(np.float32)[:, None]
    if f"{name}/fix_idx" in arrays:
        w[arrays[f"{name}/fix_idx"]] = arrays[f"{name}/fix_val"]
    return w.reshape(spec["shape"])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack(src: Path, dst: Path, part_mib: float = 36.0) -> dict:
    """Pack src (a model dir with one model.safetensors) into dst/1, dst/2, … (one part each)."""
    from safetensors.numpy import load_file, save

    weights = load_file(str(src / WEIGHTS))
    arrays: dict[str, np.ndarray] = {}
    specs: dict[str, dict] = {}
    for name, t in weights.items():
        pack_tensor(name, t, arrays, specs)
        back = unpack_tensor(name, specs[name], arrays)
        if back.tobytes() != t.tobytes():
            raise SystemExit(f"base_pack: {name} does not round-trip")
    files = {}
    for f in sorted(src.iterdir()):
        if f.is_file() and f.name != WEIGHTS:
            arrays[f"file/{f.name}"] = np.frombuffer(f.read_bytes(), np.uint8)
            files[f.name] = _sha(f.read_bytes())
    meta = {
        "specs": json.dumps(specs),
        "files": json.dumps(files),
        "weights_sha256": _sha((src / WEIGHTS).read_bytes()),
    }
    blob = save(arrays, metadata=meta)
    size = int(part_mib * 2**20)
    dst.mkdir(parents=True, exist_ok=True)
    chunks = [blob[i : i + size] for i in range(0, len(blob), size)]
    manifest = {
        "model": src.name,
        "blob_sha256": _sha(blob),
        "parts": [{"dir": str(i + 1), "sha256": _sha(c), "bytes": len(c)} for i, c in enumerate(chunks)],
        "fp32_bytes": (src / WEIGHTS).stat().st_size,
    }
    for i, c in enumerate(chunks):
        d = dst / str(i + 1)
        d.mkdir(exist_ok=True)
        (d / "part").write_bytes(c)
        (d / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    kinds: dict[str, int] = {}
    for s in specs.values():
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    fixed = sum(len(v) for k, v in arrays.items() if k.endswith("/fix_idx"))
    return {"parts": len(chunks), "bytes": len(blob), "tensors": kinds, "fp32_blocks": fixed}


def missing_parts(packdir: Path) -> tuple[dict | None, list[str]]:
    """(the manifest, the part dirs not yet there or corrupt)."""
    mans = sorted(packdir.glob("*/manifest.json"))
    if not mans:
        return None, ["manifest"]
    man = json.loads(mans[0].read_text())
    miss = []
    for p in man["parts"]:
        f = packdir / p["dir"] / "part"
        if not f.is_file() or f.stat().st_size != p["bytes"] or _sha(f.read_bytes()) != p["sha256"]:
            miss.append(p["dir"])
    return man, miss


def unpack(packdir: Path, dst: Path) -> Path:
    from safetensors.numpy import load, save_file

    man, miss = missing_parts(packdir)
    if man is None or miss:
        raise SystemExit(f"base_pack: {packdir} lacks part(s) {', '.join(miss)}")
    blob = b"".join((packdir / p["dir"] / "part").read_bytes() for p in man["parts"])
    if _sha(blob) != man["blob_sha256"]:
        raise SystemExit("base_pack: the joined parts do not match the manifest")
    arrays = load(blob)
    n = int.from_bytes(blob[:8], "little")  # safetensors: a little-endian header length, then JSON
    meta = json.loads(blob[8 : 8 + n])["__metadata__"]
    specs, files = json.loads(meta["specs"]), json.loads(meta["files"])
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in files:
        (tmp / name).write_bytes(arrays[f"file/{name}"].tobytes())
    save_file(
        {n: unpack_tensor(n, s, arrays) for n, s in specs.items()},
        str(tmp / WEIGHTS),
        metadata={"format": "pt"},
    )
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    return dst


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m chatocr.training.base_pack", description=__doc__.split("\n\n")[0]
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pack")
    a.add_argument("src", type=Path)
    a.add_argument("dst", type=Path)
    a.add_argument("--part-mib", type=float, default=36.0)
    b = sub.add_parser("unpack")
    b.add_argument("packdir", type=Path)
    b.add_argument("dst", type=Path)
    c = sub.add_parser("missing")
    c.add_argument("packdir", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "pack":
        print(json.dumps(pack(args.src, args.dst, args.part_mib)))
    elif args.cmd == "unpack":
        print(unpack(args.packdir, args.dst))
    else:
        man, miss = missing_parts(args.packdir)
        print(" ".join(miss))
        return 1 if miss else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
