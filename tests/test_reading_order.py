"""Reading order follows the print: rendered receipt headers read by the real OCR keep the rows of
one block together and in print order (the failures seen on real receipts, reproduced)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_stage import TextLine, run_ocr
from ocr_stage.reading_order import group_rows

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SANS_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# Centred headers whose rows are set tightly (19 px apart at 24 px type, as on thermal receipts):
# the detector's boxes of neighbouring rows overlap by ~40 %, and each row used to chain onto the one
# above into one "row" read left to right, widest first. The issue's own examples, as printed.
CENTRED_HEADERS = [
    (
        [
            "MR. D.I.Y. (M) SDN BHD",
            "No: 28, JALAN ASTANA 1C,",
            "BANDAR BUKIT RAJA, 41050",
            "KLANG SELANGOR D.E, MALAYSIA",
        ],
        ["ASTANA", "BUKIT", "KLANG"],
    ),
    (
        [
            "SANYU STATIONERY SHOP",
            "NO.23 BATU 10, TAMAN SENTOSA,",
            "JALAN KAPAR, 42200 KLANG, SELANGOR.",
            "TEL: 012 - 6651783",
        ],
        ["SANYU", "BATU", "KAPAR", "TEL"],
    ),
]


def centred(rows: list[str], size: int = 24, step: int = 19, width: int = 700) -> Image.Image:
    font = ImageFont.truetype(SANS, size)
    img = Image.new("RGB", (width, 80 + step * len(rows)), "white")
    d = ImageDraw.Draw(img)
    for i, row in enumerate(rows):
        d.text(((width - d.textlength(row, font=font)) / 2, 40 + i * step), row, font=font, fill="black")
    return img


def row_of(rows: list[str], word: str) -> int:
    hits = [i for i, r in enumerate(rows) if word in r.upper()]
    assert len(hits) == 1, (word, rows)
    return hits[0]


@pytest.mark.parametrize("header,words", CENTRED_HEADERS, ids=["mr-diy", "sanyu"])
def test_tightly_set_centred_header_reads_row_by_row(rapid_engine, header, words):
    rows = run_ocr(centred(header), rapid_engine).to_text().split("\n")
    at = [row_of(rows, w) for w in words]
    assert at == sorted(at) and len(set(at)) == len(at), rows


def test_logo_beside_an_address_is_a_row_of_its_own(rapid_engine):
    # a big logo word left of the header block, as tall as two of its rows: it used to join the row
    # it overlapped most ("SANYU JALAN KAPAR, …"), splitting the address around it
    small, big = ImageFont.truetype(SANS, 24), ImageFont.truetype(SANS_BOLD, 64)
    header = ["SANYU STATIONERY SHOP", "NO.23 BATU 10, TAMAN SENTOSA,", "JALAN KAPAR, 42200 KLANG, SELANGOR."]
    img = Image.new("RGB", (900, 190), "white")
    d = ImageDraw.Draw(img)
    d.text((30, 58), "SANYU", font=big, fill="black")
    for i, row in enumerate(header):
        d.text((300, 40 + 31 * i), row, font=small, fill="black")
    rows = run_ocr(img, rapid_engine).to_text().split("\n")
    batu, kapar = row_of(rows, "BATU"), row_of(rows, "KAPAR")
    assert kapar == batu + 1, rows
    assert rows[kapar].startswith("JALAN KAPAR") and rows[batu].startswith("NO.23"), rows
    assert any(r.strip() == "SANYU" for r in rows[:batu]), rows  # the logo, a row before them


def test_label_column_beside_a_value_column(rapid_engine):
    font = ImageFont.truetype(SANS, 24)
    img = Image.new("RGB", (760, 200), "white")
    d = ImageDraw.Draw(img)
    d.text((30, 40), "Address:", font=font, fill="black")
    for i, (label, value) in enumerate(
        [(None, "No. 5, Jalan Permas 10,"), (None, "81750 Masai, Johor"), ("Tel:", "07-3881234")]
    ):
        if label:
            d.text((30, 40 + 31 * i), label, font=font, fill="black")
        d.text((200, 40 + 31 * i), value, font=font, fill="black")
    assert run_ocr(img, rapid_engine).to_text().split("\n") == [
        "Address:  No. 5, Jalan Permas 10,",
        "81750 Masai, Johor",
        "Tel:  07-3881234",
    ]


def _line(text, x0, y0, w, h):
    return TextLine(text=text, box=[(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)], score=0.9)


def test_stacked_boxes_never_share_a_row():
    # geometry of the real failure: three centred rows, each box overlapping the next by half its height
    lines = [
        _line("No: 28, JALAN ASTANA 1C,", 143, 58, 390, 30),
        _line("BANDAR BUKIT RAJA, 41050", 132, 73, 410, 34),
        _line("KLANG SELANGOR D.E, MALAYSIA", 96, 90, 480, 34),
    ]
    assert [[lines[i].text for i in r] for r in group_rows(lines)] == [[ln.text] for ln in lines]


def test_a_big_amount_on_one_row_still_joins_it():
    # a double-height TOTAL amount covers one row only: it stays beside its label
    lines = [
        _line("SUBTOTAL", 40, 100, 140, 30),
        _line("9.00", 500, 100, 80, 30),
        _line("TOTAL", 40, 140, 100, 30),
        _line("9.00", 480, 128, 120, 60),
        _line("CASH", 40, 200, 80, 30),
        _line("10.00", 500, 200, 90, 30),
    ]
    rows = [[lines[i].text for i in r] for r in group_rows(lines)]
    assert rows == [["SUBTOTAL", "9.00"], ["TOTAL", "9.00"], ["CASH", "10.00"]]
