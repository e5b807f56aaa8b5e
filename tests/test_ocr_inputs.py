"""Document decoding: every supported input becomes RGB pages; every bad input is one clear InputError."""

from __future__ import annotations

import io
import socket

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr_stage import InputError, InputLimits, InputTooLarge, OcrEngineError, load_document


def _page(w=300, h=200, text="p1", color=(0, 0, 0)) -> Image.Image:
    img = Image.new("RGB", (w, h), "white")
    ImageDraw.Draw(img).rectangle([10, 10, 60, 40], fill=color)
    ImageDraw.Draw(img).text((80, 20), text, fill="black")
    return img


def _bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    "fmt,suffix", [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp"), ("BMP", ".bmp")]
)
def test_single_image_formats(tmp_path, fmt, suffix):
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(_bytes(_page(), fmt))
    pages = load_document(path)
    assert len(pages) == 1
    assert pages[0].mode == "RGB" and pages[0].size == (300, 200)
    # the black square survives decoding (lossy formats: nearly black)
    assert np.asarray(pages[0])[25, 35].max() < 40
    assert load_document(path.read_bytes())[0].size == (300, 200)  # bytes too


def test_png_with_alpha_is_flattened_on_white():
    img = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle([0, 0, 9, 9], fill=(0, 0, 0, 255))
    page = load_document(_bytes(img, "PNG"))[0]
    arr = np.asarray(page)
    assert page.mode == "RGB" and arr[20, 30].tolist() == [255, 255, 255] and arr[5, 5].tolist() == [0, 0, 0]


def test_16bit_png_keeps_contrast():
    arr16 = np.full((40, 60), 60000, dtype=np.uint16)
    arr16[10:20, 10:20] = 0
    page = np.asarray(load_document(_bytes(Image.fromarray(arr16), "PNG"))[0])
    assert page[15, 15].max() == 0 and page[30, 50].min() > 200


def test_multiframe_tiff_and_page_range(tmp_path):
    frames = [_page(200 + 10 * i, 100) for i in range(3)]
    path = tmp_path / "scan.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    pages = load_document(path)
    assert [p.size for p in pages] == [(200, 100), (210, 100), (220, 100)]
    assert [p.size for p in load_document(path, page_range=[2, 0])] == [(220, 100), (200, 100)]
    with pytest.raises(InputError, match=r"scan\.tiff: page 4 requested but the image has 3 page"):
        load_document(path, page_range=[3])


def test_exif_orientation_is_applied():
    img = _page(300, 200)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    page = load_document(_bytes(img, "JPEG", exif=exif.tobytes()))[0]
    assert page.size == (200, 300)
    # the square at the stored top-left ends up top-right after the 90° CW turn
    arr = np.asarray(page)
    assert arr[35, 200 - 35].max() < 40 and arr[35, 35].min() > 200


def test_pdf_rendered_with_pages_and_range(tmp_path):
    pages_in = [_page(300, 200, color=(0, 0, 0)), _page(300, 200, color=(200, 0, 0))]
    path = tmp_path / "doc.pdf"
    pages_in[0].save(path, "PDF", resolution=100, save_all=True, append_images=pages_in[1:])
    pages = load_document(path, limits=InputLimits(pdf_dpi=200))
    assert len(pages) == 2
    assert pages[0].size == (600, 400)  # 3x2 inch page at 200 dpi
    only_second = load_document(path, page_range=[1])
    assert len(only_second) == 1 and np.asarray(only_second[0])[50, 70].tolist()[0] > 150  # red square
    with pytest.raises(InputError, match=r"doc\.pdf: page 5 requested but the PDF has 2 pages"):
        load_document(path, page_range=[4])


def test_pdf_page_is_scaled_under_the_pixel_and_side_limits(tmp_path):
    path = tmp_path / "long.pdf"
    _page(2000, 100).save(path, "PDF", resolution=10)  # a 200 x 10 inch strip
    page = load_document(path, limits=InputLimits(pdf_dpi=200, max_side=12_000))[0]
    assert max(page.size) <= 12_000 and page.width > page.height


def test_arrays_gray_rgb_rgba_and_float():
    gray = np.zeros((20, 30), dtype=np.uint8)
    assert load_document(gray)[0].size == (30, 20)
    assert load_document(np.zeros((20, 30, 4), dtype=np.uint8))[0].mode == "RGB"
    assert np.asarray(load_document(np.ones((5, 5, 3), dtype=np.float32))[0]).min() == 255
    with pytest.raises(InputError, match=r"array of shape \(5, 5, 7\)"):
        load_document(np.zeros((5, 5, 7), dtype=np.uint8))


# ---- bad inputs: one InputError, naming the input and saying what is wrong ----------------------


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.jpg: the file is empty"):
        load_document(path)


def test_truncated_jpeg(tmp_path):
    data = _bytes(_page(800, 600), "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.jpg: the image data is corrupt or truncated"):
        load_document(path)


def test_text_file_renamed_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n" * 10)
    with pytest.raises(InputError, match=r"notes\.jpg: not an image or PDF this service can read"):
        load_document(path)


def _zero_page_pdf() -> bytes:
    """A valid PDF whose page tree has no kids, with a correct xref table."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_without_pages(tmp_path):
    path = tmp_path / "blank.pdf"
    path.write_bytes(_zero_page_pdf())
    with pytest.raises(InputError, match=r"blank\.pdf: the PDF has no pages"):
        load_document(path)


def test_broken_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(InputError, match=r"broken\.pdf: not a readable PDF"):
        load_document(path)


def test_pdf_with_a_damaged_page_object(tmp_path):
    # the page tree counts one page, but its object is garbage: PDFium opens the file and fails on
    # the page (a 500 found by bench/fuzz_api.py before this was an input error)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<, /Type /Page /Pare\x1ct 2 2 R /MediaBox [0 0 72 72] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path = tmp_path / "damaged.pdf"
    path.write_bytes(bytes(out))
    with pytest.raises(InputError, match=r"damaged\.pdf: page 1 is damaged"):
        load_document(path)


def test_an_image_over_the_side_limit_is_scaled_down_like_a_pdf_page(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("L", (20_000, 20), 255).save(path)
    assert load_document(path)[0].size == (12_000, 12)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])  # JPEG decodes at a reduced scale first (draft)
def test_an_image_over_the_pixel_limit_is_scaled_down_not_refused(fmt):
    page = load_document(_bytes(_page(800, 600), fmt), limits=InputLimits(max_pixels=100_000))[0]
    assert page.width * page.height <= 100_000 and page.width * page.height > 90_000
    assert abs(page.width / page.height - 800 / 600) < 0.01 and page.mode == "RGB"


def test_only_the_decode_limit_refuses_an_image_and_the_error_names_it():
    small = InputLimits(max_pixels=10_000, max_decode_pixels=100_000)
    with pytest.raises(
        InputTooLarge, match=r"<bytes>: image is 400x300 pixels, over the limit of 100,000 pixels this"
    ):
        load_document(_bytes(_page(400, 300), "PNG"), limits=small)
    assert load_document(_bytes(_page(300, 300), "PNG"), limits=small)[0].size == (100, 100)


def test_too_many_pages(tmp_path):
    path = tmp_path / "many.tif"
    frames = [_page(60, 40) for _ in range(4)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match=r"many\.tif: 4 pages, over the limit of 3"):
        load_document(path, limits=InputLimits(max_pages=3))
    pdf = tmp_path / "many.pdf"
    frames[0].save(pdf, "PDF", save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match=r"many\.pdf: 4 pages, over the limit of 3; pass a page range"):
        load_document(pdf, limits=InputLimits(max_pages=3))
    assert len(load_document(pdf, limits=InputLimits(max_pages=3), page_range=[0, 1])) == 2


def test_missing_file_folder_and_byte_limit(tmp_path):
    with pytest.raises(InputError, match=r"nope\.png: no such file"):
        load_document(tmp_path / "nope.png")
    with pytest.raises(InputError, match="is a folder"):
        load_document(tmp_path)
    with pytest.raises(InputError, match="over the limit of 10"):
        load_document(b"x" * 11, name="upload.png", limits=InputLimits(max_bytes=10))
    with pytest.raises(InputError, match="cannot read a document from int"):
        load_document(42)


def test_missing_model_file_is_an_engine_error_without_download(tmp_path, monkeypatch):
    from ocr_stage.engines.rapid import RapidEngine

    def no_network(*a, **kw):
        raise AssertionError("the engine tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(
        OcrEngineError, match=r"OCR model file\(s\) missing: .*PP-OCRv6_det_small\.onnx.*never downloads"
    ):
        RapidEngine(model_dir=tmp_path)
