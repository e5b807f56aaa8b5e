"""The running demo in a real headless Chromium, driven over the DevTools protocol: a screenshot for
the README, and the `Browser` the demo tests use to upload, chat, click and measure the page.

    python demo/screenshot.py http://127.0.0.1:8501/?sample=1 docs/demo.png [WIDTHxHEIGHT]

Waits until the answer table and the page image are on screen, then saves a palette PNG (small
enough for the README). `make demo-screenshot` starts the app and runs this.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
]

# No script run in progress and no spinner: the page shows the result of the last interaction.
IDLE_JS = """(() => {
  const running = document.querySelector('[data-testid="stStatusWidget"]');
  const busy = !!(running && /Running|Stop/.test(running.innerText));
  const spin = document.querySelector('[data-testid="stSpinner"]');
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && !busy && !spin;
})()"""

# The answer table is rendered, the page image has loaded, and no script run is in progress.
READY_JS = (
    """(() => {
  const t = document.querySelector('table.cocr-answer');
  const img = document.querySelector('.cocr-page img.cocr-img');
  // a widget still drawn as a grey placeholder (a loaded machine renders slowly) is not ready
  const pending = !!document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]');
  return JSON.stringify({table: t && !pending ? t.innerText : null,
                         img: !!(img && img.complete && img.naturalWidth > 0),
                         labels: document.querySelectorAll('.cocr-label').length,
                         idle: IDLE, text: document.body.innerText.slice(0, 4000)});
})()"""
).replace("IDLE", IDLE_JS.strip())


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("chromium is not installed: run `bash scripts/setup_chromium.sh`")


class Cdp:
    """A minimal DevTools client: one page target, request/response by id."""

    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        # entered as a context manager (websockets >= 17.1 warns otherwise), left in close()
        self.ws = connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=30).__enter__()
        self.ids = itertools.count(1)

    def call(self, method: str, timeout: float = 60, **params):
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.time())))
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
        raise TimeoutError(method)

    def close(self):
        self.ws.__exit__(None, None, None)


class Browser:
    """Headless Chromium with one page, at a given window size (CSS pixels, scale 1)."""

    def __init__(self, size: tuple[int, int] = (1500, 1000)):
        import httpx

        self.profile = tempfile.TemporaryDirectory(prefix="chatocr-chromium-", ignore_cleanup_errors=True)
        self.proc = subprocess.Popen(
            [
                find_chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile.name}",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.cdp = None
        try:
            port_file = Path(self.profile.name) / "DevToolsActivePort"
            deadline = time.time() + 60
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("chromium did not start its DevTools endpoint")
                time.sleep(0.2)
            port = int(port_file.read_text().split()[0])
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(t for t in targets if t.get("type") == "page")
            self.cdp = Cdp(page["webSocketDebuggerUrl"])
            self.cdp.call("Page.enable")
            self.resize(*size)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.cdp is not None:
            self.cdp.close()
            self.cdp = None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.profile.cleanup()

    def resize(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.cdp.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def goto(self, url: str) -> None:
        self.cdp.call("Page.navigate", url=url)

    def js(self, expression: str):
        """The value of a JavaScript expression (JSON-serialisable), None while the page navigates."""
        res = self.cdp.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in res:
            return None
        return res.get("result", {}).get("value")

    def wait(self, expression: str, timeout: float = 120, what: str = "", settle: int = 3):
        """Poll until `expression` is truthy and the app is idle, `settle` polls in a row (~0.4 s
        apart); returns the expression's last value."""
        deadline, stable, value = time.time() + timeout, 0, None
        while time.time() < deadline:
            value = self.js(expression)
            ok = bool(value) and bool(self.js(IDLE_JS))
            stable = stable + 1 if ok else 0
            if stable >= settle:
                return value
            time.sleep(0.4)
        text = self.js("document.body ? document.body.innerText.slice(0, 1500) : ''") or ""
        raise TimeoutError(f"waited {timeout:g} s for {what or expression[:80]}; the page shows:\n{text}")

    def upload(self, path: str | Path) -> None:
        """Give `path` to the page's file uploader, as if picked in the file dialog."""
        doc = self.cdp.call("DOM.getDocument", depth=-1, pierce=True)
        node = self.cdp.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="input[type=file]")
        if not node.get("nodeId"):
            raise RuntimeError("no file input on the page")
        self.cdp.call("DOM.setFileInputFiles", files=[str(Path(path).resolve())], nodeId=node["nodeId"])

    def chat(self, text: str) -> None:
        """Type `text` into the chat input and press Enter."""
        ok = self.js(
            "(() => { const t = document.querySelector('[data-testid=\"stChatInputTextArea\"]');"
            " if (!t) return false; t.focus(); return true; })()"
        )
        if not ok:
            raise RuntimeError("no chat input on the page")
        self.cdp.call("Input.insertText", text=text)
        time.sleep(0.3)
        keys = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
        self.cdp.call("Input.dispatchKeyEvent", type="keyDown", text="\r", **keys)
        self.cdp.call("Input.dispatchKeyEvent", type="keyUp", **keys)

    def click(self, selector: str, text: str | None = None) -> None:
        """Click the first element matching `selector` (whose text is `text`, when given)."""
        ok = self.js(
            f"(() => {{ const els = [...document.querySelectorAll({json.dumps(selector)})];"
            f" const want = {json.dumps(text)};"
            " const el = els.find(e => want === null || e.innerText.trim() === want);"
            " if (!el) return false; el.scrollIntoView({block: 'nearest'}); el.click(); return true; })()"
        )
        if not ok:
            raise RuntimeError(f"nothing to click: {selector} {text or ''}")

    def png(self) -> bytes:
        return base64.b64decode(self.cdp.call("Page.captureScreenshot", format="png")["data"])


def save_png(png: bytes, out: Path, max_kb: int = 290) -> None:
    """`png` as a palette PNG of at most about `max_kb`."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    for colors in (256, 128, 64):
        buf = io.BytesIO()
        img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(buf, format="PNG", optimize=True)
        if buf.tell() <= max_kb * 1024:
            break
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())


def screenshot(url: str, out: Path, *, timeout: float = 600, size=(1500, 1000), max_kb: int = 290) -> dict:
    """Load `url` in headless Chromium, wait for the answer, save a PNG to `out`; returns the last page state."""
    with Browser(size) as b:
        b.goto(url)
        value = b.wait(
            f"(() => {{ const s = JSON.parse({READY_JS}); return s.table && s.img ? JSON.stringify(s) : null; }})()",
            timeout,
            "the answer table and the page image",
        )
        png = b.png()
    save_png(png, out, max_kb)
    return json.loads(value)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    size = tuple(int(v) for v in sys.argv[3].split("x")) if len(sys.argv) == 4 else (1500, 1000)
    st = screenshot(sys.argv[1], Path(sys.argv[2]), size=size)
    print(f"saved {sys.argv[2]} ({Path(sys.argv[2]).stat().st_size // 1024} KB); table:\n{st['table']}")
