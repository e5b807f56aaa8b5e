"""The API fuzz run of bench/fuzz_api.py in small, so CI keeps it honest: schemathesis over the
server's /openapi.json with real document bodies (bench/fuzz_hooks.py), no 5xx; and every document
of the fuzz corpus answered with the status its label promises, uploaded and as base64.

The server is the real app on 127.0.0.1 with the scripted LLM backend and OCR engine of fakes.py;
it connects nowhere but its loopback redirector (URL fetch is allowed to 127.0.0.0/8 only, and
non-loopback connects are refused while it runs)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from api_helpers import running_server

pytest.importorskip("schemathesis")

from bench import fuzz_api  # noqa: E402
from bench.fuzz_hooks import corpus  # noqa: E402

EXPECTED = {"ok": 200, "limit": 413, "bad": 422}
AUTH = {"Authorization": f"Bearer {fuzz_api.KEY}"}


def test_tiff_frame_without_dimensions_is_an_input_error():
    """Found by the fuzz run: Pillow raises TypeError counting the frames of this TIFF; it was a 500."""
    from ocr_stage import InputError, load_document

    with pytest.raises(InputError, match="corrupt"):
        load_document(corpus()["bad/tiff-frame-without-dimensions"], name="t.tif")


def test_corpus_documents_get_the_status_of_their_label():
    app, _ = fuzz_api.build_app("scripted")
    wrong = []
    with fuzz_api.loopback_only(), running_server(app) as base:
        for label, data in corpus().items():
            want = EXPECTED[label.split("/")[0]]
            r = httpx.post(base + "/v1/ocr", files={"file": ("doc", data)}, headers=AUTH, timeout=120)
            b64 = base64.b64encode(data).decode()
            r2 = httpx.post(
                base + "/v1/extract",
                json={"document": {"base64": b64}, "fields": ["total"]},
                headers=AUTH,
                timeout=120,
            )
            for how, resp in (("upload", r), ("base64", r2)):
                if resp.status_code != want:
                    wrong.append(f"{label} ({how}): {resp.status_code} {resp.text[:200]}")
    assert not wrong, "\n".join(wrong)
    assert app.n_5xx == 0


@pytest.mark.slow
def test_schemathesis_with_real_documents_finds_no_5xx(tmp_path):
    argv = ["--requests", "200", "--phases", "fuzzing", "--examples", "70", "--workers", "1"]
    rc = fuzz_api.main([*argv, "--name", "fuzz", "--out-dir", str(tmp_path)])
    report = json.loads((tmp_path / "fuzz.json").read_text())
    assert report["requests"] >= 200
    assert report["requests_5xx"] == 0, json.dumps(report["server_errors"], indent=1)[:4000]
    assert rc == 0
    statuses = report["status_histogram"]
    assert statuses.get("200", 0) > 0, statuses  # real documents went through decoding and the pipeline
    # negative_data_rejection has flagged multipart uploads that schemathesis itself labels "positive
    # test case" (valid requests, rightly 200; see bench/reports/fuzz_api.md); any other check is a finding.
    others = [f for f in report["check_failures"] if f.get("type") != "AcceptedNegativeData"]
    assert not others, json.dumps(others, indent=1)
