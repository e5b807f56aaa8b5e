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


def on_desk(img: Image.Image, rng: random.Random) -> Image.Image:
    """The page lying on a desk: a textured background around it, sometimes a second sheet under it."""
    w, h = img.size
    mx, my = int(w * rng.uniform(0.03, 0.1)), int(h * rng.uniform(0.03, 0.12))
    base = rng.choice(
        [(150, 110, 75), (185, 150, 110), (120, 90, 70), (210, 205, 195), (90, 90, 95), (230, 225, 215)]
    )
    g = np.random.default_rng(rng.getrandbits(32))
    W, H = w + 2 * mx, h + 2 * my
    grain = g.normal(0, 10, (H // 8 + 1, 1)).repeat(8, 0)[:H] + g.normal(0, 4, (H, W))  # wood-like streaks
    arr = np.clip(np.array(base, dtype="float32")[None, None, :] + grain[:, :, None], 0, 255).astype("uint8")
    out = Image.fromarray(arr)
    if rng.random() < 0.4:  # another sheet peeking out below
        ox, oy = rng.randint(-mx // 2, mx // 2), rng.randint(-my // 2, my // 2)
        out.paste((236, 238, 236), (mx + ox, my + oy, mx + ox + w, my + oy + h))
    out.paste(img, (mx, my))
    return out


def shadow(img: Image.Image, rng: random.Random) -> Image.Image:
    """A soft shadow (a phone or a hand) over part of the page."""
    from PIL import ImageDraw

    w, h = img.size
    mask = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(mask)
    cx, cy = rng.uniform(0, w), rng.choice([0, h]) + rng.uniform(-0.1, 0.1) * h
    d.ellipse(
        (
            cx - w * rng.uniform(0.2, 0.5),
            cy - h * rng.uniform(0.2, 0.5),
            cx + w * rng.uniform(0.2, 0.5),
            cy + h * rng.uniform(0.2, 0.5),
        ),
        fill=int(255 * rng.uniform(0.15, 0.35)),
    )
    mask = mask.filter(ImageFilter.GaussianBlur(max(w, h) * 0.04))
    arr = np.asarray(img).astype("float32") * (1 - np.asarray(mask, dtype="float32")[:, :, None] / 255)
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))


def photograph(img: Image.Image, rng: random.Random, level: float) -> tuple[Image.Image, list[str]]:
    """A phone photo of a form on a desk: background, perspective, tilt, uneven light, shadow, blur, JPEG."""
    applied = ["desk"]
    img = on_desk(img, rng)
    bg = img.getpixel((1, 1))
    if rng.random() < 0.8:
        img = perspective(img, rng, rng.uniform(0.015, 0.05) * max(level, 0.4), bg)
        applied.append("perspective")
    if rng.random() < 0.7:
        img = img.rotate(
            rng.uniform(-4, 4) * max(level, 0.3), resample=Image.BICUBIC, expand=True, fillcolor=bg
        )
        applied.append("rotate")
    if rng.random() < 0.8:
        img = lighting(img, rng)
        applied.append("lighting")
    if rng.random() < 0.35 * level:
        img = shadow(img, rng)
        applied.append("shadow")
    img = ImageEnhance.Color(img).enhance(rng.uniform(0.8, 1.15))
    if rng.random() < 0.5 * level:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1) * level))
        applied.append("blur")
    if rng.random() < 0.4 * level:
        img = noise(img, rng, rng.uniform(2, 7) * level)
        applied.append("noise")
    img = jpeg(img, rng.randint(max(45, int(90 - 40 * level)), 92))
    applied.append("jpeg")
    return img, applied


def augment(
    img: Image.Image,
    rng: random.Random,
    *,
    thermal: bool = False,
    level: float = 1.0,
    photo: bool | None = None,
) -> tuple[Image.Image, list[str]]:
    """Apply a random chain of capture effects; returns the image and the names of those applied.

    `photo` (default: the render marked the page with `img.info["capture"] == "photo"`) takes the
    phone-photo chain for most pages of that type; the rest are scanned like every other type."""
    applied = []
    if photo is None:
        photo = img.info.get("capture") == "photo"
    if level <= 0:
        return img, applied
    if photo and rng.random() < 0.75:
        return photograph(img, rng, level)
    bg = tuple(
        int(v) for v in rng.choice([(235, 235, 235), (200, 200, 200), (120, 110, 100), (250, 250, 250)])
    )
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
