"""Decoding user documents (paths, bytes, PIL images, arrays; images and PDFs) into RGB pages.

Every failure raises `InputError` with a message that names the input and says what is wrong,
so the CLI and the API can show it as is.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "BMP", "TIFF", "MPO", "GIF"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
DOCUMENT_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
# File signatures at offset 0: JPEG, PNG, GIF, BMP, TIFF (both byte orders). WebP is RIFF....WEBP.
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


class InputError(ValueError):
    """The user's document cannot be read; the message says why."""


class InputTooLarge(InputError):
    """The document is over a limit (bytes, pixels, pages); the API answers 413 for it."""


@dataclass(frozen=True)
class InputLimits:
    # A page larger than max_pixels or max_side is scaled down to fit (PDFs are rendered to fit,
    # images resized after decoding), never refused: ~ A4 at 600 dpi is 35 Mpx. The OCR engine
    # detects text on a smaller copy still and cuts each line from this resolution.
    max_pixels: int = 40_000_000
    max_side: int = 12_000
    # An image is refused only above this many pixels, where decoding it alone would take ~360 MB
    # (a 108-megapixel phone photo is read; Pillow itself refuses above ~179 Mpx).
    max_decode_pixels: int = 120_000_000
    max_pages: int = 20  # the one page limit: chatocr.settings.MAX_PAGES reads it
    max_bytes: int = 50 * 1024 * 1024
    pdf_dpi: int = 200
    # The memory budget of one document: decoded pixels of all its pages together (~3 bytes each as
    # RGB), checked before any page is rendered or decoded. PDF pages share it (the largest are
    # rendered at a lower DPI); images and TIFF frames over it are refused. 20 A4 pages at 200 dpi
    # are 77 Mpx.
    max_total_pixels: int = 100_000_000


def fair_share(pixels: Sequence[float], budget: float) -> float:
    """The per-page pixel cap that fits `pixels` into `budget` by shrinking only the largest pages
    (water-filling): every page at or under the cap keeps its size. Infinity when all fit."""
    if sum(pixels) <= budget:
        return float("inf")
    remaining, ordered = budget, sorted(pixels)
    for k, p in enumerate(ordered):
        share = remaining / (len(ordered) - k)
        if p > share:
            return share
        remaining -= p
    return float("inf")


def _name(source: Any, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return f"<{type(source).__name__}>"


def _check_size(img: Image.Image, label: str, limits: InputLimits) -> None:
    w, h = img.size
    if w <= 0 or h <= 0:
        raise InputError(f"{label}: image has no pixels ({w}x{h})")
    if w * h > limits.max_decode_pixels:
        raise InputTooLarge(
            f"{label}: image is {w}x{h} pixels, over the limit of {limits.max_decode_pixels:,} pixels "
            "this service decodes"
        )


def _fit_size(w: int, h: int, limits: InputLimits) -> tuple[int, int] | None:
    """The size a w x h page is scaled down to under max_pixels and max_side; None if it fits."""
    if w * h <= limits.max_pixels and max(w, h) <= limits.max_side:
        return None
    s = min((limits.max_pixels / (w * h)) ** 0.5, limits.max_side / max(w, h))
    return max(1, int(w * s)), max(1, int(h * s))


def _fit(img: Image.Image, limits: InputLimits) -> Image.Image:
    """`img` scaled down to the page limits (like a PDF page rendered to fit), or as is."""
    size = _fit_size(*img.size, limits)
    return img if size is None else img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        # 16-bit / float scans: convert("RGB") would clip everything above 255 to white.
        arr = np.asarray(img, dtype=np.float32)
        top = max(255.0, float(arr.max()) if arr.size else 0.0)
        return Image.fromarray(np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)).convert("RGB")
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        bg = Image.new("RGB", img.size, (255, 255, 255))
        bg.paste(img.convert("RGBA"), mask=img.convert("RGBA").split()[-1])
        return bg
    return img if img.mode == "RGB" else img.convert("RGB")


def _pdf_pages(data: bytes, label: str, limits: InputLimits, page_range: Sequence[int] | None):
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as e:  # pdfium raises PdfiumError with terse text
        # PDFium refuses page-less documents outright ("Failed to load document (PDFium: Success)").
        if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page(?![a-zA-Z])", data):
            raise InputError(f"{label}: the PDF has no pages") from None
        why = "password-protected" if "password" in str(e).lower() else "damaged or not a PDF"
        raise InputError(f"{label}: not a readable PDF ({why})") from None
    try:
        n = len(pdf)
        if n == 0:
            raise InputError(f"{label}: the PDF has no pages")
        indices = list(page_range) if page_range is not None else list(range(n))
        bad = [i for i in indices if not 0 <= i < n]
        if bad:
            raise InputError(f"{label}: page {bad[0] + 1} requested but the PDF has {n} pages")
        if len(indices) > limits.max_pages:
            raise InputTooLarge(
                f"{label}: {len(indices)} pages, over the limit of {limits.max_pages}; pass a page range"
            )
        pages = []
        scale = limits.pdf_dpi / 72
        # Every page's render scale is decided before the first render: pdf_dpi, lowered where a
        # page would exceed the pixel or side limit, then lowered for the largest pages until all
        # of them together fit max_total_pixels.
        scales = []
        for i in indices:
            try:
                w, h = pdf.get_page_size(i)
            except pdfium.PdfiumError:  # the page tree names an object that is not a readable page
                raise InputError(f"{label}: page {i + 1} is damaged and cannot be read") from None
            if w <= 0 or h <= 0:
                raise InputError(f"{label}: page {i + 1} has no area ({w:.0f}x{h:.0f} pt)")
            scales.append(
                (
                    min(
                        scale, (limits.max_pixels / (w * h)) ** 0.5 * 0.99, limits.max_side / max(w, h) * 0.99
                    ),
                    w * h,
                )
            )
        cap = fair_share([s_ * s_ * area for s_, area in scales], limits.max_total_pixels * 0.99)
        for i, (scale_i, area) in zip(indices, scales, strict=True):
            scale_i = min(scale_i, (cap / area) ** 0.5)
            try:
                page = pdf[i]
            except pdfium.PdfiumError:
                raise InputError(f"{label}: page {i + 1} is damaged and cannot be read") from None
            try:
                img = page.render(scale=scale_i).to_pil()
            except pdfium.PdfiumError:
                raise InputError(f"{label}: page {i + 1} is damaged and cannot be rendered") from None
            pages.append(_to_rgb(img))
        return pages
    finally:
        pdf.close()


def _image_frames(data: bytes, label: str, limits: InputLimits, page_range: Sequence[int] | None):
    try:
        with warnings.catch_warnings():  # between Pillow's warning size and ours: _check_size decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        fmt = img.format
    except UnidentifiedImageError:
        raise InputError(
            f"{label}: not an image or PDF this service can read (supported: JPEG, PNG, WebP, BMP, TIFF, PDF)"
        ) from None
    except Image.DecompressionBombError:
        raise InputTooLarge(f"{label}: image is too large to decode safely") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"{label}: the image header is corrupt ({e})") from None
    if fmt not in IMAGE_FORMATS:
        raise InputError(f"{label}: unsupported image format {fmt}")
    _check_size(img, label, limits)
    try:
        # Counting TIFF frames reads every IFD: a frame without dimensions raises TypeError
        # ("Missing dimensions"), which is the file's fault, not the server's.
        n_frames = getattr(img, "n_frames", 1) if fmt == "TIFF" else 1
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError) as e:
        raise InputError(f"{label}: the image data is corrupt ({e})") from None
    indices = list(page_range) if page_range is not None else list(range(n_frames))
    bad = [i for i in indices if not 0 <= i < n_frames]
    if bad:
        raise InputError(f"{label}: page {bad[0] + 1} requested but the image has {n_frames} page(s)")
    if len(indices) > limits.max_pages:
        raise InputTooLarge(f"{label}: {len(indices)} pages, over the limit of {limits.max_pages}")
    # Every frame's size is in its header: the budget is checked before any frame is decoded.
    total = 0
    try:
        for i in indices:
            img.seek(i)
            total += img.size[0] * img.size[1]
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError) as e:
        raise InputError(f"{label}: the image data is corrupt ({e})") from None
    if total > limits.max_total_pixels:
        raise InputTooLarge(
            f"{label}: {len(indices)} pages of {total:,} pixels together, over the limit of "
            f"{limits.max_total_pixels:,}; pass a page range or downscale the pages"
        )
    frames = []
    try:
        for i in indices:
            img.seek(i)
            # One decode per page, no extra full-size copies: a multi-frame file needs a copy per
            # frame, a single image is used as decoded.
            frame = img.copy() if n_frames > 1 else img
            target = _fit_size(*frame.size, limits)
            if target is not None and fmt == "JPEG":
                frame.draft("RGB", target)  # decode at 1/2, 1/4 or 1/8 scale, still at least target
            frame.load()
            if frame.getexif().get(0x0112, 1) != 1:  # phone photos store rotation in EXIF
                frame = ImageOps.exif_transpose(frame)
            _check_size(frame, label, limits)
            frames.append(_fit(_to_rgb(frame), limits))
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError) as e:
        raise InputError(f"{label}: the image data is corrupt or truncated ({e})") from None
    except Image.DecompressionBombError:
        raise InputTooLarge(f"{label}: image is too large to decode safely") from None
    return frames


def load_document(
    source: str | os.PathLike | bytes | Image.Image | np.ndarray,
    *,
    name: str | None = None,
    limits: InputLimits | None = None,
    page_range: Sequence[int] | None = None,
) -> list[Image.Image]:
    """Decode a document into RGB pages.

    `page_range` holds 0-based page indices. Arrays are HxW (gray) or HxWx3 RGB / HxWx4 RGBA.
    """
    limits = limits or InputLimits()
    label = _name(source, name)

    if isinstance(source, Image.Image):
        _check_size(source, label, limits)
        return [_fit(_to_rgb(ImageOps.exif_transpose(source)), limits)]
    if isinstance(source, np.ndarray):
        arr = source
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)) or arr.size == 0:
            raise InputError(f"{label}: array of shape {arr.shape} is not an image (HxW, HxWx3 or HxWx4)")
        if arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        elif arr.dtype != np.uint8:
            arr = arr.astype(np.float32)
            if np.issubdtype(source.dtype, np.floating) and float(np.nanmax(arr)) <= 1.0:
                arr = arr * 255.0  # float images in [0, 1]
            arr = np.clip(np.nan_to_num(arr), 0, 255).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        img = Image.fromarray(arr)
        _check_size(img, label, limits)
        return [_fit(_to_rgb(img), limits)]
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise InputError(f"{label}: no such file")
        if path.is_dir():
            raise InputError(f"{label}: is a folder, not a document")
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise InputTooLarge(f"{label}: file is {size:,} bytes, over the limit of {limits.max_bytes:,}")
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > limits.max_bytes:
            raise InputTooLarge(f"{label}: {len(data):,} bytes, over the limit of {limits.max_bytes:,}")
    else:
        raise InputError(f"{label}: cannot read a document from {type(source).__name__}")

    if not data:
        raise InputError(f"{label}: the file is empty (0 bytes)")
    # Image signatures sit at offset 0 and are checked first: a JPEG may carry "%PDF-" in its EXIF
    # or comment within the first KB, and is still a JPEG.
    if data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return _image_frames(data, label, limits, page_range)
    if b"%PDF-" in data[:1024]:  # the PDF spec lets junk precede the header
        return _pdf_pages(data, label, limits, page_range)
    return _image_frames(data, label, limits, page_range)
