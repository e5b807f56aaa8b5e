"""Screenshot of the running demo in a real headless Chromium, driven over the DevTools protocol.

    python demo/screenshot.py http://127.0.0.1:8501/?sample=1 docs/demo.png

Waits until the answer table and the page image are on screen, then saves a palette PNG (small
enough for the README). `make demo-screenshot` starts the app and runs this.
"""

from __future__ import annotations

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

# The answer table is rendered, the page image has loaded, and no script run is in progress.
READY_JS = """(() => {
  const t = document.querySelector('[data-testid="stTable"]');
  const img = document.querySelector('[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img');
  const running = document.querySelector('[data-testid="stStatusWidget"]');
  const spin = document.querySelector('[data-testid="stSpinner"]');
  return JSON.stringify({table: t ? t.innerText : null, img: !!(img && img.complete && img.naturalWidth > 0),
                         running: !!(running && /Running|Stop/.test(running.innerText)), spinner: !!spin,
                         text: document.body.innerText.slice(0, 4000)});
})()"""


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("chromium is not installed: run `bash scripts/setup_chromium.sh`")


class Cdp:
    """A minimal DevTools client: one page target, request/response by id."""

    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=30)
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
        self.ws.close()


def screenshot(url: str, out: Path, *, timeout: float = 600, size=(1500, 1000), max_kb: int = 290) -> dict:
    """Load `url` in headless Chromium, wait for the answer, save a PNG to `out`; returns the last page state."""
    import httpx
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="chatocr-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [
                find_chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.time() + 60
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("chromium did not start its DevTools endpoint")
                time.sleep(0.2)
            port = int(port_file.read_text().split()[0])
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(t for t in targets if t.get("type") == "page")
            cdp = Cdp(page["webSocketDebuggerUrl"])
            try:
                cdp.call("Page.enable")
                cdp.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=size[0],
                    height=size[1],
                    deviceScaleFactor=1,
                    mobile=False,
                )
                cdp.call("Page.navigate", url=url)
                state: dict = {}
                deadline, stable = time.time() + timeout, 0
                while time.time() < deadline:
                    res = cdp.call("Runtime.evaluate", expression=READY_JS, returnByValue=True)
                    value = res.get("result", {}).get("value")
                    if not isinstance(value, str):  # page still navigating, or the script threw
                        time.sleep(0.5)
                        continue
                    state = json.loads(value)
                    ok = state["table"] and state["img"] and not state["running"] and not state["spinner"]
                    stable = stable + 1 if ok else 0
                    if stable >= 3:  # settled for ~1.5 s
                        break
                    time.sleep(0.5)
                else:
                    raise TimeoutError(
                        f"the demo did not show an answer within {timeout:g} s: {state.get('text', '')[:500]}"
                    )
                shot = cdp.call("Page.captureScreenshot", format="png")
            finally:
                cdp.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    import base64

    img = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    for colors in (256, 128, 64):
        buf = io.BytesIO()
        img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(buf, format="PNG", optimize=True)
        if buf.tell() <= max_kb * 1024:
            break
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())
    return state


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    st = screenshot(sys.argv[1], Path(sys.argv[2]))
    print(f"saved {sys.argv[2]} ({Path(sys.argv[2]).stat().st_size // 1024} KB); table:\n{st['table']}")
