"""Helpers for the API, batch and demo tests: a real uvicorn server on a free loopback port, and
rendered test documents with known, distinct text."""

from __future__ import annotations

import io
import random
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
# Letters and digits PP-OCR does not confuse with each other (no O/0, I/1, S/5, Z/2, B/8).
SAFE = "ACEFHKLMNPRTWXY3479"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(app, port: int | None = None, ready_timeout: float = 120.0, config=None):
    """Serve `app` with uvicorn on 127.0.0.1 in a thread; yields the base URL once /readyz is 200.
    With an ApiConfig `config`, the server is `chatocr serve`'s own (chatocr.api.server: connection
    caps, header and body deadlines)."""
    import httpx
    import uvicorn

    port = port or free_port()
    if config is not None:
        from chatocr.api.server import uvicorn_config

        uv = uvicorn_config(app, config, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    else:
        uv = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(uv)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + ready_timeout
    while time.time() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        server.should_exit = True
        raise RuntimeError(f"server on {base} did not become ready")
    try:
        yield base
    finally:
        server.should_exit = True
        t.join(timeout=10)


def wait_http(url: str, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    """Poll `url` until it answers 200; fail with `what` (and the process's stderr if it died)."""
    deadline = time.time() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise RuntimeError(f"{what} exited: {err}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"{what} did not start in {timeout:.0f} s")
        time.sleep(0.5)


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def codes(n: int, length: int = 6, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rnd.choice(SAFE) for _ in range(length)))
    return sorted(out)


def render_text_png(lines: list[str], size=(400, 200), font_size: int = 36) -> bytes:
    """A white PNG with `lines` printed in black, one per row. Near-square on purpose: PP-OCR's
    detector scales the short side up to 736 px, so a long thin strip costs several times more."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = size[0], size[1] * len(lines)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, font_size)
    for i, line in enumerate(lines):
        d.text((24, 20 + i * size[1]), line, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def squash(text: str) -> str:
    return "".join(text.split()).upper()


def make_batch_folder(d: Path) -> Path:
    """The batch tests' folder: a PNG receipt, a one-page PDF in a subfolder, a corrupt JPEG and a
    text file that is not a document."""
    from PIL import Image

    (d / "a_receipt.png").write_bytes(render_text_png(["SHOP KLM", "TOTAL 12.40"]))
    sub = d / "sub"
    sub.mkdir()
    pdf = io.BytesIO()
    Image.open(io.BytesIO(render_text_png(["SHOP XYZ", "TOTAL 73.90"]))).save(pdf, format="PDF")
    (sub / "b_receipt.pdf").write_bytes(pdf.getvalue())
    (d / "c_broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    (d / "notes.txt").write_text("not a document")
    return d
