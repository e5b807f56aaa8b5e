"""Drawing primitives shared by the document layouts: fonts, text that fits a box, tables,
red seals, QR-code-like blocks and paper backgrounds. All randomness comes from the caller's RNG."""

from __future__ import annotations

import math
import random
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype")]

# family -> list of (file, ttc index) alternatives; the renderer picks one per document.
FONT_FAMILIES: dict[str, list[tuple[str, int]]] = {
    "cn_sans": [("wqy/wqy-microhei.ttc", 0), ("wqy/wqy-zenhei.ttc", 0)],
    "cn_serif": [("arphic/uming.ttc", 0)],
    "cn_kai": [("arphic/ukai.ttc", 0)],
    "cn_mono": [("wqy/wqy-zenhei.ttc", 1), ("wqy/wqy-microhei.ttc", 1)],
    "en_sans": [("dejavu/DejaVuSans.ttf", 0), ("dejavu/DejaVuSansCondensed.ttf", 0)],
    "en_sans_bold": [("dejavu/DejaVuSans-Bold.ttf", 0), ("dejavu/DejaVuSansCondensed-Bold.ttf", 0)],
    "en_serif": [("dejavu/DejaVuSerif.ttf", 0), ("dejavu/DejaVuSerifCondensed.ttf", 0)],
    "en_serif_bold": [("dejavu/DejaVuSerif-Bold.ttf", 0)],
    "en_mono": [("dejavu/DejaVuSansMono.ttf", 0)],
    "en_mono_bold": [("dejavu/DejaVuSansMono-Bold.ttf", 0)],
    # Receipt printers: monospaced and narrow faces (the CJK fonts' Latin glyphs differ from DejaVu's).
    "en_receipt": [
        ("dejavu/DejaVuSansMono.ttf", 0),
        ("wqy/wqy-zenhei.ttc", 1),
        ("wqy/wqy-microhei.ttc", 1),
        ("dejavu/DejaVuSansCondensed.ttf", 0),
        ("dejavu/DejaVuSerifCondensed.ttf", 0),
    ],
    "en_receipt_bold": [
        ("dejavu/DejaVuSansMono-Bold.ttf", 0),
        ("dejavu/DejaVuSansCondensed-Bold.ttf", 0),
        ("wqy/wqy-zenhei.ttc", 0),
    ],
}


class FontMissing(RuntimeError):
    pass


def _find(rel: str) -> str:
    for d in FONT_DIRS:
        p = d / rel
        if p.is_file():
            return str(p)
    raise FontMissing(f"font {rel} not found; run `bash scripts/setup_fonts.sh`")


@lru_cache(maxsize=512)
def load_font(rel: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_find(rel), max(6, int(size)), index=index)


def available_fonts(family: str) -> list[tuple[str, int]]:
    out = []
    for rel, idx in FONT_FAMILIES[family]:
        try:
            _find(rel)
            out.append((rel, idx))
        except FontMissing:
            pass
    if not out:
        raise FontMissing(f"no font of family {family} installed; run `bash scripts/setup_fonts.sh`")
    return out


INK = (20, 20, 20)
RED = (200, 40, 40)
BROWN = (130, 80, 40)
BLUE = (30, 50, 140)


class Canvas:
    """A page plus per-document style choices (which font of each family, ink colours)."""

    def __init__(self, width: int, height: int, rng: random.Random, bg=(255, 255, 255)):
        self.rng = rng
        self.img = Image.new("RGB", (width, height), bg)
        self.draw = ImageDraw.Draw(self.img)
        self.fonts = {fam: rng.choice(available_fonts(fam)) for fam in FONT_FAMILIES}
        self.ink = tuple(max(0, c + rng.randint(-15, 15)) for c in INK)

    @property
    def w(self) -> int:
        return self.img.width

    @property
    def h(self) -> int:
        return self.img.height

    def crop_height(self, height: int) -> None:
        """Cut the page to `height` once the layout knows where it ends."""
        self.img = self.img.crop((0, 0, self.w, int(height)))
        self.draw = ImageDraw.Draw(self.img)

    def font(self, family: str, size: float) -> ImageFont.FreeTypeFont:
        rel, idx = self.fonts[family]
        return load_font(rel, idx, int(size))

    def text_width(self, s: str, family: str, size: float) -> float:
        return self.draw.textlength(s, font=self.font(family, size))

    def text(
        self, xy, s: str, size: float, family: str = "cn_sans", fill=None, anchor: str = "la", max_width=None
    ):
        """Draw `s`; shrink the font until it fits `max_width`. Returns the bbox."""
        if not s:
            return (xy[0], xy[1], xy[0], xy[1])
        size = float(size)
        if max_width:
            while size > 8 and self.text_width(s, family, size) > max_width:
                size *= 0.92
        f = self.font(family, size)
        self.draw.text(xy, s, font=f, fill=fill or self.ink, anchor=anchor)
        return self.draw.textbbox(xy, s, font=f, anchor=anchor)

    def spaced(self, xy, s: str, size: float, family: str, spacing: float, fill=None):
        """Letter-spaced title text (form titles print 发 票 with wide gaps)."""
        x, y = xy
        f = self.font(family, size)
        for ch in s:
            self.draw.text((x, y), ch, font=f, fill=fill or self.ink)
            x += self.draw.textlength(ch, font=f) + spacing
        return x

    def wrap(
        self, xy, s: str, size: float, family: str, width: float, line_gap: float = 1.3, fill=None
    ) -> float:
        """Draw `s` wrapped to `width`; returns the y below the last line."""
        x, y = xy
        line = ""
        for ch in s:
            if self.text_width(line + ch, family, size) > width and line:
                self.text((x, y), line, size, family, fill)
                y += size * line_gap
                line = ""
            line += ch
        if line:
            self.text((x, y), line, size, family, fill)
            y += size * line_gap
        return y

    def line(self, xy, fill=None, width: int = 1):
        self.draw.line(xy, fill=fill or self.ink, width=width)

    def rect(self, box, outline=None, width: int = 1, fill=None):
        self.draw.rectangle(box, outline=outline or self.ink, width=width, fill=fill)

    def dashed(
        self,
        y: float,
        x0: float,
        x1: float,
        fill=None,
        dash: int = 8,
        gap: int = 5,
        char: str | None = None,
        size=16,
    ):
        if char:
            step = self.text_width(char, "en_mono", size)
            n = int((x1 - x0) / max(step, 1))
            self.text((x0, y), char * n, size, "en_mono", fill)
            return
        x = x0
        while x < x1:
            self.draw.line((x, y, min(x + dash, x1), y), fill=fill or self.ink, width=1)
            x += dash + gap


def seal(
    img: Image.Image,
    center,
    radius: float,
    text: str,
    rng: random.Random,
    inner: str = "",
    oval: bool = False,
    font_rel=("wqy/wqy-zenhei.ttc", 0),
    color=(215, 30, 30),
    middle: str = "",
):
    """A red company seal: ring, text along the arc, a star; blended so text beneath shows through."""
    r = int(radius)
    rx, ry = (r, int(r * 0.7)) if oval else (r, r)
    pad = 6
    layer = Image.new("L", (2 * rx + 2 * pad, 2 * ry + 2 * pad), 0)
    d = ImageDraw.Draw(layer)
    cx, cy = rx + pad, ry + pad
    d.ellipse((pad, pad, pad + 2 * rx, pad + 2 * ry), outline=255, width=max(3, r // 18))
    if text:
        size = max(10, int(r * 0.26))
        font = load_font(font_rel[0], font_rel[1], size)
        n = len(text)
        span = min(math.radians(250), math.radians(24) * n)
        for i, ch in enumerate(text):
            a = -math.pi / 2 - span / 2 + span * (i + 0.5) / n
            tx = cx + (rx - size * 0.95) * math.cos(a)
            ty = cy + (ry - size * 0.95) * math.sin(a)
            glyph = Image.new("L", (size * 2, size * 2), 0)
            ImageDraw.Draw(glyph).text((size, size), ch, font=font, fill=255, anchor="mm")
            glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
            layer.paste(255, (int(tx - size), int(ty - size)), glyph)
    if not oval:
        _star(d, cx, cy, r * 0.22)
    if inner:
        font = load_font(font_rel[0], font_rel[1], max(9, int(r * 0.18)))
        d.text((cx, cy + ry * 0.55), inner, font=font, fill=255, anchor="mm")
    if middle:  # 发票专用章 print the taxpayer number across the middle
        font = load_font(font_rel[0], font_rel[1], max(9, int(rx * 1.5 / max(len(middle), 1))))
        d.text((cx, cy), middle, font=font, fill=255, anchor="mm")
    layer = layer.rotate(rng.uniform(-25, 25), resample=Image.BICUBIC)
    alpha = layer.point(lambda v: int(v * rng.uniform(0.55, 0.8)))
    ink = Image.new("RGB", layer.size, color)
    img.paste(ink, (int(center[0] - cx), int(center[1] - cy)), alpha)


def _star(d: ImageDraw.ImageDraw, cx, cy, r):
    pts = []
    for i in range(10):
        rr = r if i % 2 == 0 else r * 0.4
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    d.polygon(pts, fill=255)


def qr_block(canvas: Canvas, x: int, y: int, size: int, modules: int = 25):
    """A QR-code-like block: three finder patterns and random modules."""
    rng = canvas.rng
    m = size / modules
    d = canvas.draw
    d.rectangle((x, y, x + size, y + size), fill=(255, 255, 255))
    for i in range(modules):
        for j in range(modules):
            if rng.random() < 0.5:
                d.rectangle(
                    (x + i * m, y + j * m, x + (i + 1) * m - 0.5, y + (j + 1) * m - 0.5), fill=(0, 0, 0)
                )
    for fx, fy in [(0, 0), (modules - 7, 0), (0, modules - 7)]:
        X, Y = x + fx * m, y + fy * m
        d.rectangle((X, Y, X + 7 * m, Y + 7 * m), fill=(255, 255, 255))
        d.rectangle((X, Y, X + 7 * m - 1, Y + 7 * m - 1), fill=(0, 0, 0))
        d.rectangle((X + m, Y + m, X + 6 * m - 1, Y + 6 * m - 1), fill=(255, 255, 255))
        d.rectangle((X + 2 * m, Y + 2 * m, X + 5 * m - 1, Y + 5 * m - 1), fill=(0, 0, 0))


def barcode(canvas: Canvas, x: int, y: int, w: int, h: int):
    rng = canvas.rng
    cx = x
    while cx < x + w:
        bw = rng.choice([1, 1, 2, 3])
        if rng.random() < 0.55:
            canvas.draw.rectangle((cx, y, cx + bw - 1, y + h), fill=(0, 0, 0))
        cx += bw


def paper(width: int, height: int, rng: random.Random, tint=None) -> tuple[int, int, int]:
    """A background colour: white, off-white, or a tinted form paper."""
    if tint is not None:
        return tint
    base = rng.choice([(255, 255, 255), (250, 248, 240), (246, 244, 236), (252, 250, 245)])
    return tuple(max(0, c - rng.randint(0, 6)) for c in base)


def texture(img: Image.Image, rng: random.Random, strength: float = 6.0) -> Image.Image:
    """Low-frequency paper texture."""
    import numpy as np

    w, h = img.size
    small = np.random.default_rng(rng.getrandbits(32)).normal(0, strength, (max(2, h // 40), max(2, w // 40)))
    noise = Image.fromarray(np.clip(small + 128, 0, 255).astype("uint8")).resize((w, h), Image.BICUBIC)
    noise = noise.filter(ImageFilter.GaussianBlur(3))
    arr = np.asarray(img).astype("int16") + (np.asarray(noise).astype("int16") - 128)[:, :, None]
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))


def thermal_print(img: Image.Image, rng: random.Random, strength: float = 1.0) -> Image.Image:
    """Thermal/dot-matrix print: slightly soft glyphs, greyish ink and missing dots inside strokes."""
    import numpy as np

    arr = np.asarray(img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.7)))).astype("float32")
    g = np.random.default_rng(rng.getrandbits(32))
    dark = arr.mean(axis=2) < 150
    drop = (g.random(dark.shape) < rng.uniform(0.03, 0.15) * strength) & dark
    ink = rng.uniform(0.0, 60.0) * strength
    arr[dark] += ink
    arr[drop] = arr[drop] + (255 - arr[drop]) * rng.uniform(0.4, 0.8)
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))
