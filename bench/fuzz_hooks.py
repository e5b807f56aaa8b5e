"""Real documents for the API fuzz run (bench/fuzz_api.py): a corpus of valid, crafted and corrupt
PNG/JPEG/PDF/TIFF/WebP/BMP/GIF bytes, Hypothesis strategies over it, and the schemathesis hooks that
put those bytes into the generated requests. `st run` loads this module through SCHEMATHESIS_HOOKS.

The schema's `file` (format: binary) draws from the corpus, from truncated or bit-flipped copies of
it, and from schemathesis' own samples and random bytes; JSON bodies get the same documents as base64
(plain, line-wrapped, spaced, url-safe, unpadded, data-URI), besides schemathesis' own strings.
"""

from __future__ import annotations

import atexit
import base64
import io
import json
import os
import socket
import struct
import threading
import zlib
from collections import Counter
from functools import cache

from hypothesis import strategies as st
from PIL import Image, ImageDraw

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# ------------------------------------------------------------------ the network rule


def only_loopback(connect):
    """`socket.socket.connect` wrapped so that it refuses every address but loopback (and AF_UNIX
    paths): the fuzz run's network rule, for the server process and for `st run`'s."""

    import ipaddress

    def loopback_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        try:
            ok = ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            ok = self.family == socket.AF_UNIX
        if not ok:
            raise ConnectionRefusedError(f"fuzz run: refusing to connect to non-loopback {host!r}")
        return connect(self, address)

    return loopback_connect


# ------------------------------------------------------------------ the corpus


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _text_image(size=(220, 70), text="TOTAL 9.00", mode="RGB") -> Image.Image:
    from PIL import ImageFont

    img = Image.new("RGB", size, "white")
    try:
        font = ImageFont.truetype(FONT, max(8, size[1] // 3))
    except OSError:
        font = ImageFont.load_default()
    ImageDraw.Draw(img).text((6, size[1] // 4), text, fill="black", font=font)
    return img.convert(mode) if mode != "RGB" else img


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_only(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose IHDR claims width x height, with `idat` (compressed rows) or nothing behind it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _png_chunk(b"IHDR", ihdr)
    if idat:
        body += _png_chunk(b"IDAT", idat)
    return b"\x89PNG\r\n\x1a\n" + body + _png_chunk(b"IEND", b"")


def _jpeg_with_size(width: int, height: int) -> bytes:
    """A small valid JPEG whose SOF0 frame header is rewritten to claim width x height."""
    data = bytearray(_save(Image.new("RGB", (8, 8), "white"), "JPEG"))
    i = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, i + 5, height, width)
    return bytes(data)


def _pdf(
    pages: list[tuple[float, float]], text: bool = True, extra: bytes = b"", count: int | None = None
) -> bytes:
    """A hand-written PDF: one page per (width, height) in points, each printing its number."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]  # 2: the page tree, below
    font = len(objs) + 1
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for n, (w, h) in enumerate(pages, 1):
        stream = f"BT /F1 12 Tf 4 8 Td (PAGE {n} TOTAL 9.00) Tj ET".encode() if text else b""
        objs.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objs)
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> %s>>"
            % (str(w).encode(), str(h).encode(), content, font, extra)
        )
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids) if count is None else count,
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _pil_pdf(n_pages: int, size=(160, 60)) -> bytes:
    pages = [_text_image(size, f"PAGE {i + 1} TOTAL 9.00") for i in range(n_pages)]
    return _save(pages[0], "PDF", save_all=True, append_images=pages[1:], resolution=72)


def _multi_frame(fmt: str, n: int, size=(120, 40), **kw) -> bytes:
    frames = [_text_image(size, f"P{i + 1}") for i in range(n)]
    return _save(frames[0], fmt, save_all=True, append_images=frames[1:], **kw)


def _jpeg_with_comment(comment: bytes) -> bytes:
    data = _save(_text_image(), "JPEG", quality=70)
    com = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + com + data[2:]


def _exif_rotated_jpeg(orientation: int) -> bytes:
    img = _text_image((160, 50))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _save(img, "JPEG", exif=exif.tobytes())


def _tiff_frame_without_dimensions() -> bytes:
    """A TIFF whose first frame is a valid 1x1 gray pixel and whose second IFD has no ImageWidth:
    counting its frames made Pillow raise TypeError, a 500 until ocr_stage caught it (found by this run)."""

    def ifd(entries, next_offset):
        out = struct.pack("<H", len(entries))
        out += b"".join(struct.pack("<HHII", *e) for e in entries)
        return out + struct.pack("<I", next_offset)

    # tag, type (3 short, 4 long), count, value: width, length, bits, compression, photometric,
    # strip offset (the pixel at byte 8), samples, rows per strip, strip byte count
    first = [(256, 4, 1, 1), (257, 4, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1)]
    first += [(273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, 1), (279, 4, 1, 1)]
    second_at = 10 + 2 + 12 * len(first) + 4
    return b"II*\x00" + struct.pack("<I", 10) + b"\x80\x00" + ifd(first, second_at) + ifd([(257, 4, 1, 1)], 0)


@cache
def corpus() -> dict[str, bytes]:
    """label -> bytes. Labels start with the expectation: `ok/` decodes, `limit/` must be refused as
    too large / too many pages, `bad/` must be refused as unreadable. Deterministic, ~0.5 MB."""
    t = _text_image
    docs: dict[str, bytes] = {
        # PNG in every mode the decoder has a branch for
        "ok/png-rgb-text": _save(t(), "PNG"),
        "ok/png-1x1": _save(Image.new("RGB", (1, 1), "white"), "PNG"),
        "ok/png-gray": _save(t((90, 30), mode="L"), "PNG"),
        "ok/png-1bit": _save(t((64, 32), mode="1"), "PNG"),
        "ok/png-palette-transparent": _save(t((80, 30)).convert("P"), "PNG", transparency=0),
        "ok/png-rgba": _save(t((80, 30), mode="RGBA"), "PNG"),
        "ok/png-la": _save(t((60, 24), mode="LA"), "PNG"),
        "ok/png-16bit": _save(Image.new("I;16", (40, 20), 40000), "PNG"),
        "ok/png-thin-strip": _save(Image.new("RGB", (3000, 1), "black"), "PNG"),
        "ok/png-tall-strip": _save(Image.new("RGB", (1, 3000), "black"), "PNG"),
        "ok/png-animated": _multi_frame("PNG", 3),
        # JPEG
        "ok/jpeg-rgb-text": _save(t(), "JPEG", quality=85),
        "ok/jpeg-gray": _save(t((90, 30), mode="L"), "JPEG"),
        "ok/jpeg-cmyk": _save(t((90, 30), mode="CMYK"), "JPEG"),
        "ok/jpeg-progressive": _save(t(), "JPEG", progressive=True, quality=40),
        "ok/jpeg-q1": _save(t(), "JPEG", quality=1),
        "ok/jpeg-1x1": _save(Image.new("RGB", (1, 1), "black"), "JPEG"),
        "ok/jpeg-exif-rot6": _exif_rotated_jpeg(6),
        "ok/jpeg-exif-rot9-invalid": _exif_rotated_jpeg(9),
        "ok/jpeg-pdf-marker-in-comment": _jpeg_with_comment(b"%PDF-1.7 not a pdf"),
        # other image formats the service reads
        "ok/webp-lossy": _save(t(), "WEBP", quality=50),
        "ok/webp-lossless": _save(t((80, 30)), "WEBP", lossless=True),
        "ok/webp-animated": _multi_frame("WEBP", 2),
        "ok/bmp-rgb": _save(t((50, 20)), "BMP"),
        "ok/bmp-1bit": _save(t((50, 20), mode="1"), "BMP"),
        "ok/gif": _save(t((60, 20)).convert("P"), "GIF"),
        "ok/gif-animated": _multi_frame("GIF", 3),
        "ok/tiff-lzw": _save(t((90, 30)), "TIFF", compression="tiff_lzw"),
        "ok/tiff-3-pages": _multi_frame("TIFF", 3),
        "ok/tiff-16bit": _save(Image.new("I;16", (40, 20), 1000), "TIFF"),
        "ok/tiff-float": _save(Image.new("F", (40, 20), 0.5), "TIFF"),
        "ok/tiff-cmyk": _save(t((40, 20), mode="CMYK"), "TIFF"),
        "ok/tiff-g4": _save(t((64, 32), mode="1"), "TIFF", compression="group4"),
        # PDF
        "ok/pdf-1-page": _pil_pdf(1),
        "ok/pdf-3-pages": _pil_pdf(3),
        "ok/pdf-handmade-2-pages": _pdf([(120, 40), (40, 120)]),
        "ok/pdf-mixed-sizes-5-pages": _pdf([(60, 30), (200, 80), (30, 30), (144, 20), (90, 90)]),
        "ok/pdf-rotated": _pdf([(120, 40)], extra=b"/Rotate 90 "),
        "ok/pdf-blank": _pdf([(72, 72)], text=False),
        "ok/pdf-junk-before-header": b"junk\r\n" * 10 + _pdf([(100, 40)]),
        "ok/pdf-zero-area-page": _pdf([(0, 0)]),  # PDFium falls back to US Letter
        "ok/pdf-negative-box": _pdf([(-100, -50)]),
        # 200 x 200 in: rendered scaled down to the pixel cap (~6,300 px a side, ~5 s on a busy core)
        "ok/heavy/pdf-huge-page": _pdf([(14400, 14400)], text=False),
        # photos over the pixel or side limit are downscaled like PDF pages, not refused
        "ok/heavy/png-50mpx": _png_header_only(10_000, 5_000, zlib.compress(b"\x00" * 30_001)),
        "ok/heavy/png-side-over-12k": _png_header_only(13_000, 10, zlib.compress(b"\x00" * 39_001)),
        # over a limit
        "limit/pdf-count-lies": _pdf([(100, 40)], count=1_000_000),  # PDFium believes /Count
        "limit/pdf-21-pages": _pdf([(30, 20)] * 21, text=False),
        "limit/tiff-21-pages": _multi_frame("TIFF", 21, size=(8, 8)),
        "limit/png-bomb-100k": _png_header_only(100_000, 100_000),
        "limit/png-130mpx": _png_header_only(13_000, 10_000, zlib.compress(b"\x00" * 39_001)),
        "limit/jpeg-65k-side": _jpeg_with_size(65_000, 65_000),
        # unreadable
        "bad/empty": b"",
        "bad/one-byte": b"\x00",
        "bad/text": b"hello, this is not a document\n",
        "bad/png-magic-only": b"\x89PNG\r\n\x1a\n",
        "bad/jpeg-magic-only": b"\xff\xd8\xff",
        "bad/pdf-magic-only": b"%PDF-1.7\n",
        "bad/tiff-magic-only": b"II*\x00",
        "bad/bmp-magic-only": b"BM",
        "bad/gif-magic-only": b"GIF89a",
        "bad/webp-magic-only": b"RIFF\x00\x00\x00\x00WEBP",
        "bad/pdf-zero-pages": _pdf([], count=0),
        "bad/png-no-idat": _png_header_only(40, 20),
        "bad/png-bad-crc": _save(t((30, 10)), "PNG")[:29]
        + b"\x00\x00\x00\x00"
        + _save(t((30, 10)), "PNG")[33:],
        "bad/tiff-frame-without-dimensions": _tiff_frame_without_dimensions(),
        # the page object's "<<" broken: PDFium opens the file and fails on the page (a 500 until
        # ocr_stage caught PdfiumError there; found by the first full run)
        "bad/pdf-damaged-page-object": _pdf([(72, 72)]).replace(b"<< /Type /Page ", b"<, /Type /Page ", 1),
        "bad/zip": b"PK\x03\x04" + b"\x00" * 26,
    }
    return docs


@cache
def valid_labels() -> list[str]:
    """The mutation seeds: documents that decode, and cheaply."""
    return sorted(k for k in corpus() if k.startswith("ok/") and "/heavy/" not in k)


def _truncate(label: str, frac: float) -> bytes:
    data = corpus()[label]
    return data[: int(len(data) * frac)]


def _flip(label: str, edits: list[tuple[float, int]]) -> bytes:
    data = bytearray(corpus()[label])
    for pos, byte in edits:
        data[min(int(pos * len(data)), len(data) - 1)] = byte
    return bytes(data)


def _splice(a: str, b: str, frac: float) -> bytes:
    x, y = corpus()[a], corpus()[b]
    return x[: int(len(x) * frac)] + y[int(len(y) * frac) :]


def documents() -> st.SearchStrategy[bytes]:
    """Whole corpus documents (valid, over a limit, unreadable), and corrupt copies of valid ones."""
    labels = st.sampled_from(sorted(corpus()))
    valid = st.sampled_from(valid_labels())
    return st.one_of(
        labels.map(lambda k: corpus()[k]),
        st.builds(_truncate, valid, st.floats(0, 1)),
        st.builds(
            _flip, valid, st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=6)
        ),
        st.builds(_splice, valid, valid, st.floats(0, 1)),
    )


def _b64_variant(data: bytes, how: str) -> str:
    plain = base64.b64encode(data).decode()
    if how == "wrapped":
        return base64.encodebytes(data).decode()  # 76-column lines, as `base64` prints
    if how == "spaced":
        return " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))
    if how == "urlsafe":
        return base64.urlsafe_b64encode(data).decode()
    if how == "unpadded":
        return plain.rstrip("=")
    if how == "data-uri":
        return "data:application/octet-stream;base64," + plain
    if how == "bad-char":
        return plain[: len(plain) // 2] + "*" + plain[len(plain) // 2 :]
    return plain


B64_STYLES = ("plain", "plain", "plain", "wrapped", "spaced", "urlsafe", "unpadded", "data-uri", "bad-char")


def base64_documents() -> st.SearchStrategy[str]:
    return st.builds(_b64_variant, documents(), st.sampled_from(B64_STYLES))


# Values that reach the deeper stages (page selection, the LLM) more often than random text does.
PAGE_SPECS = ["1", "2", "1-2", "1-3,5", "3-", "-2", "1,1,1", "0", "21", "1-20", "2-1", [1], [1, 2], [0], []]
FIELD_LISTS = [["total"], ["company", "date", "total"], ["发票号码", "价税合计"], ["total", "TOTAL"], ["a b"]]
# Form values that hold JSON (options, hints, a fields list): deep, unbalanced, wrong-typed, valid.
NESTED = [
    "[" * 60_000,
    '{"a":' * 20_000,
    "[" * 100 + "]" * 100,
    '{"pages": "3"}',
    '{"pages": [true]}',
    '{"pages": 1, "strict": true}',
    '{"pagez": 1}',
    '{"total": "the sum"}',
    '{"total": {"x": [1]}}',
    '["total", "date"]',
    '["total", ["nested"]]',
    "[1, 2",
    "{",
    "null",
]
NESTED_FIELDS = ("options", "hints", "fields")
# Paths of the fuzz run's loopback redirector (bench.fuzz_api.REDIRECTS and a document).
REDIRECT_PATHS = [
    "/colon",
    "/no-host",
    "/bracket",
    "/ftp",
    "/space",
    "/control",
    "/loop",
    "/port",
    "/long",
    "/outside",
    "/empty",
    "/doc.png",
]

# ------------------------------------------------------------------ schemathesis hooks

try:
    import schemathesis
    from schemathesis.core.file_samples import FILE_SAMPLES
except ImportError:  # the corpus is usable without schemathesis (tests, reproductions)
    schemathesis = None


def _with_extras(case, nested, url_path):
    """`case` (positive, multipart) with one JSON-holding form field set to a NESTED value, and/or
    (either body) its document named by a URL of the loopback redirector instead of its bytes."""
    if not isinstance(case.body, dict):
        return case
    meta = getattr(case, "meta", None)
    if meta and meta.generation.mode.is_negative:
        return case
    body = dict(case.body)
    json_body = (case.media_type or "").startswith("application/json")
    if nested is not None and not json_body:
        name, value = nested
        if name != "options" and not case.path.endswith("/extract"):
            name = "options"
        body[name] = value
    base = os.environ.get("CHATOCR_FUZZ_REDIRECTOR")
    if url_path is not None and base:
        if json_body:
            body["document"] = {"url": base + url_path}
        else:
            body.pop("file", None)
            body["url"] = base + url_path
    if body != case.body:
        case.body = body
    return case


def _with_document(case, doc: bytes | str | None, pages, fields):
    """`case` with a real document put in where its body has none (or, in positive mode, a string
    there), and, in positive mode, a page spec and a field list from the samples above. A negative
    case only gains what it lacked, so whatever made it negative stays."""
    if not isinstance(case.body, dict):
        return case
    body = dict(case.body)
    meta = getattr(case, "meta", None)
    negative = bool(meta and meta.generation.mode.is_negative)
    json_body = (case.media_type or "").startswith("application/json")
    if doc is not None:
        if json_body:
            document = body.get("document")
            current = document.get("base64") if isinstance(document, dict) else None
            if isinstance(document, dict) and (
                current is None or (isinstance(current, str) and not negative)
            ):
                body["document"] = {**document, "base64": doc}
        elif "file" not in body or (not negative and not isinstance(body["file"], bytes)):
            body["file"] = base64.b64decode(doc) if isinstance(doc, str) else doc
    if not negative:
        if pages is not None:
            if json_body and isinstance(body.get("options", {}), dict):
                body["options"] = {**body.get("options", {}), "pages": pages}
            elif not json_body and isinstance(pages, str):
                body["pages"] = pages
        if fields is not None and case.path.endswith("/extract"):
            body["fields"] = fields
    if body != case.body:  # an assignment marks the body for schemathesis to validate again
        case.body = body
    return case


if schemathesis is not None:
    # `format: binary` (the multipart `file`): the corpus, its corrupt copies, schemathesis' own tiny
    # samples and plain random bytes.
    schemathesis.openapi.format(
        "binary",
        st.one_of(documents(), st.sampled_from(list(FILE_SAMPLES.values())), st.binary(max_size=2048)),
    )

    @schemathesis.hook
    def flatmap_case(context, case):
        if case.method.upper() != "POST" or not isinstance(case.body, dict):
            return st.just(case)
        json_body = (case.media_type or "").startswith("application/json")
        doc = base64_documents() if json_body else documents()
        maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
        with_doc = st.builds(
            _with_document,
            st.just(case),
            maybe(doc),
            maybe(st.sampled_from(PAGE_SPECS)),
            maybe(st.sampled_from(FIELD_LISTS)),
        )
        rare = lambda s: st.one_of(st.none(), st.none(), st.none(), s)  # noqa: E731
        return st.builds(
            _with_extras,
            with_doc,
            rare(st.tuples(st.sampled_from(NESTED_FIELDS), st.sampled_from(NESTED))),
            rare(st.sampled_from(REDIRECT_PATHS)),
        )

    # What the client saw, per operation and status: written at exit to $CHATOCR_FUZZ_CLIENT_COUNTS.
    _seen: Counter = Counter()
    _seen_lock = threading.Lock()

    @schemathesis.hook
    def after_call(context, case, response):
        with _seen_lock:
            _seen[f"{case.method.upper()} {case.path} {response.status_code}"] += 1

    def _dump_counts() -> None:
        path = os.environ.get("CHATOCR_FUZZ_CLIENT_COUNTS")
        if path:
            with open(path, "w") as f:
                json.dump(dict(_seen), f)

    atexit.register(_dump_counts)

    # Safety net for the network rule: this process connects to loopback only.
    socket.socket.connect = only_loopback(socket.socket.connect)
