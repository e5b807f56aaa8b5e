"""Capture augmentation: what a phone photo or a scanner does to a clean render.

Strengths are kept where PP-OCR still reads most text, so the OCR text stays a fair input and
the share of values it reads verbatim is measured, not assumed."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter


def _perspective_coeffs(src, dst):
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(a, dtype=float), np.array(b, dtype=float)).tolist()


def perspective(img: Image.Image, rng: random.Random, amount: float, fill) -> Image.Image:
    w, h = img.size
    pad = int(max(w, h) * amount)
    big = Image.new("RGB", (w + 2 * pad, h + 2 * pad), fill)
    big.paste(img, (pad, pad))
    W, H = big.size
    src = [(pad, pad), (pad + w, pad), (pad + w, pad + h), (pad, pad + h)]
    dst = [(x + rng.uniform(-pad, pad) * 0.8, y + rng.uniform(-pad, pad) * 0.8) for x, y in src]
    coeffs = _perspective_coeffs(src, dst)
    return big.transform((W, H), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=fill)


def lighting(img: Image.Image, rng: random.Random) -> Image.Image:
    """A linear brightness gradient, as under a desk lamp."""
    w, h = img.size
    a = rng.uniform(0, 2 * np.pi)
    xs = np.linspace(-1, 1, w)[None, :] * np.cos(a) + np.linspace(-1, 1, h)[:, None] * np.sin(a)
    gain = 1.0 - rng.uniform(0.05, 0.3) * (xs + 1) / 2
    arr = np.asarray(img).astype("float32") * gain[:, :, None]
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))


def thermal_fade(img: Image.Image, rng: random.Random) -> Image.Image:
    """Faded thermal print: lower contrast, a grey cast and lighter vertical streaks."""
    img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.45, 0.8))
    arr = np.asarray(img).astype("float32")
    w = arr.shape[1]
    streak = np.ones(w, dtype="float32")
    for _ in range(rng.randint(0, 4)):
        c = rng.randint(0, w - 1)
        wid = rng.randint(5, 40)
        streak[max(0, c - wid) : c + wid] = rng.uniform(1.05, 1.25)
    arr = 255 - (255 - arr) / streak[None, :, None]
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))


def noise(img: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    g = np.random.default_rng(rng.getrandbits(32))
    arr = np.asarray(img).astype("float32") + g.normal(0, sigma, (img.height, img.width, 1))
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def augment(img: Image.Image, rng: random.Random, *, thermal: bool = False, level: float = 1.0) -> tuple[Image.Image, list[str]]:
    """Apply a random chain of capture effects; returns the image and the names of those applied."""
    applied = []
    if level <= 0:
        return img, applied
    bg = tuple(int(v) for v in rng.choice([(235, 235, 235), (200, 200, 200), (120, 110, 100), (250, 250, 250)]))
    if thermal and rng.random() < 0.6:
        img = thermal_fade(img, rng)
        applied.append("thermal_fade")
    if rng.random() < 0.35 * level:
        img = perspective(img, rng, rng.uniform(0.01, 0.04) * level, bg)
        applied.append("perspective")
    if rng.random() < 0.5 * level:
        img = img.rotate(rng.uniform(-2.5, 2.5) * level, resample=Image.BICUBIC, expand=True, fillcolor=bg)
        applied.append("rotate")
    if rng.random() < 0.4 * level:
        img = lighting(img, rng)
        applied.append("lighting")
    if rng.random() < 0.35 * level:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0) * level))
        applied.append("blur")
    if rng.random() < 0.35 * level:
        img = noise(img, rng, rng.uniform(2, 9) * level)
        applied.append("noise")
    if rng.random() < 0.6:
        img = jpeg(img, rng.randint(max(30, int(85 - 50 * level)), 95))
        applied.append("jpeg")
    return img, applied
