"""The README's commands run as written: every `chatocr …` line parses (subcommand and options
exist), the quick ones run for real, the Python example is the one docs/python.md runs
(tests/test_python_api.py), and every linked file exists."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatocr.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def chatocr_lines() -> list[list[str]]:
    """Each `chatocr …` command of the README's bash blocks, split as a shell would (comments off)."""
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("chatocr "):
                out.append(shlex.split(line, comments=True)[1:])
    return out


def test_the_readme_is_a_short_product_page():
    assert len(README.splitlines()) <= 250
    assert not re.search(r"(?i)\bsession|\bround\b|helper", README)
    assert "make run" in README and "make test" in README


@pytest.mark.parametrize("args", chatocr_lines(), ids=lambda a: " ".join(a)[:60])
def test_every_readme_command_parses(args):
    # --help after the arguments: click rejects an unknown subcommand or option before it prints help
    res = CliRunner().invoke(main, [*args, "--help"])
    assert res.exit_code == 0, (args, res.output)
    assert "Usage:" in res.output


def test_the_readme_python_example_is_the_one_the_python_doc_runs():
    (example,) = [b for b in blocks("python") if "Pipeline()" in b]
    assert example.strip() in (REPO / "docs" / "python.md").read_text(encoding="utf-8")


def test_quick_readme_commands_run(tmp_path):
    run = [sys.executable, "-m", "chatocr"]
    version = subprocess.run([*run, "--version"], capture_output=True, text=True, cwd=REPO, check=True)
    assert re.match(r"chatocr \d+\.\d+\.\d+\nadapter ", version.stdout)
    ocr = subprocess.run(
        [*run, "ocr", "samples/vat_invoice_sample.png"], capture_output=True, text=True, cwd=REPO, timeout=600
    )
    assert ocr.returncode == 0, ocr.stderr
    assert "发票" in ocr.stdout
    # `chatocr finetune my_receipts --check` on a folder of the documented shape
    folder = tmp_path / "my_receipts"
    (folder / "img").mkdir(parents=True)
    labels = []
    for i in range(2):
        (folder / "img" / f"00{i}.png").write_bytes(
            (REPO / "samples" / "vat_invoice_sample.png").read_bytes()
        )
        labels.append(f'{{"image": "img/00{i}.png", "fields": {{"发票号码": "32204156"}}}}')
    (folder / "labels.jsonl").write_text("\n".join(labels) + "\n", encoding="utf-8")
    check = subprocess.run(
        [*run, "finetune", str(folder), "--check"], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_readme_links_exist():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not target.startswith("http"):
            assert (REPO / target).exists(), target
