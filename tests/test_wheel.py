"""The built wheel works on its own: installed into a clean venv, run from outside the repository, it
carries the shipped LoRA adapter and answers one extraction through `chatocr extract`, and it carries
the XTuner configs and tools, so `chatocr finetune DIR --check` validates a folder.

Offline and quick: the wheel is built without build isolation (the project venv's setuptools), and
the clean venv sees the project venv's third-party packages (torch, transformers, rapidocr…) through
a .pth file written after chatocr is installed, so it resolves chatocr to its own copy: the project
venv's editable finder lives in a .pth of that venv, which a path added by .pth does not run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("ocr_stage", "llm_stage", "generate_data", "chatocr")
ADAPTERS = REPO / "llm_stage" / "adapters"


def _run(cmd: list[str], timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    # Generous limits: about 20 s of CPU in all, but a loaded 2-core machine stretches the wall time.
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    return r


@pytest.mark.slow
def test_wheel_installs_in_a_clean_venv_and_extracts(tmp_path, sample_path):
    from llm_stage.embedded import prepare_embedded_model

    # Build from a copy of what the wheel is made of, so the checkout gets no build/ or egg-info.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", str(src), "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist)])
    (wheel,) = dist.glob("chatocr-*.whl")
    # every file of the shipped adapter, its line-items adapter (items/) included
    adapter_files = sorted(p.relative_to(REPO).as_posix() for p in ADAPTERS.glob("*/**/*") if p.is_file())
    assert adapter_files, "no shipped adapter to check"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    assert set(adapter_files) <= names
    # the training recipes and what runs inside XTuner's venv (package data, one copy)
    training = sorted(
        p.relative_to(REPO).as_posix()
        for d in ("xtuner_config", "xtuner_tools")
        for p in (REPO / "chatocr" / "training" / d).rglob("*")
        if p.is_file() and p.suffix in (".py", ".sh", ".md") and "__pycache__" not in p.parts
    )
    assert "chatocr/training/xtuner_config/_base_/cpu_lora.py" in training
    assert set(training) <= names, set(training) - names
    from chatocr.training.recipes import RECIPES

    for r in RECIPES.values():
        assert {
            f"chatocr/training/xtuner_config/{r.config}",
            f"chatocr/training/xtuner_tools/{r.setup}",
        } <= names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    # Installed before the .pth exists: pip then sees only this venv, not the editable chatocr.
    _run([*pip, "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)])
    site = Path(
        _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "zz_project_venv_deps.pth").write_text("".join(f"{d}\n" for d in deps), encoding="utf-8")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "CHATOCR_MODEL")}
    # The converted base model is data prepared once per machine, not part of the wheel.
    models = prepare_embedded_model(verbose=False).parent
    env |= {"CHATOCR_MODELS_DIR": str(models), "CHATOCR_LLM_THREADS": "1", "PYTHONNOUSERSITE": "1"}

    where = _run(
        [
            str(py),
            "-c",
            "import json, chatocr, llm_stage, ocr_stage, generate_data\n"
            "from chatocr.training import recipes\n"
            "from llm_stage.embedded import shipped_adapter\n"
            "mods = [chatocr, llm_stage, ocr_stage, generate_data, recipes]\n"
            "print(json.dumps({'files': [m.__file__ for m in mods], 'adapter': str(shipped_adapter()),"
            " 'configs': str(recipes.CONFIG_DIR), 'tools': str(recipes.TOOLS_DIR)}))",
        ],
        cwd=elsewhere,
        env=env,
    )
    found = json.loads(where.stdout)
    for f in [*found["files"], found["adapter"], found["configs"], found["tools"]]:
        assert Path(f).resolve().is_relative_to(site.resolve()), f
    root = Path(found["adapter"])
    installed = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert installed == sorted(
        Path(f).relative_to(ADAPTERS.relative_to(REPO) / root.name).as_posix() for f in adapter_files
    )

    fields = ["发票号码", "开票日期"]
    r = _run(
        [
            str(venv / "bin" / "chatocr"),
            "extract",
            str(sample_path),
            "-f",
            ",".join(fields),
            "--format",
            "json",
        ],
        cwd=elsewhere,
        env=env,
        timeout=900,
    )
    out = json.loads(r.stdout)
    assert list(out["fields"]) == fields
    assert out["model"].endswith("+chatocr-lora")  # the installed package found its own adapter
    grounded = [f for f in out["fields"].values() if f["grounded"] and f["value"]]
    assert grounded, out

    # Where an installed package keeps what it prepares: never in site-packages nor the checkout.
    home = tmp_path / "home"
    user = {k: v for k, v in env.items() if k not in ("CHATOCR_MODELS_DIR", "CHATOCR_VENVS_DIR")}
    user |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"), "XDG_DATA_HOME": str(home / "data")}
    dirs = _run(
        [
            str(py),
            "-c",
            "from llm_stage.embedded import models_dir; from chatocr.training.recipes import venvs_dir; "
            "from chatocr.evaluation.runner import DEFAULT_REPORTS; "
            "print(models_dir()); print(venvs_dir()); print(DEFAULT_REPORTS)",
        ],
        cwd=elsewhere,
        env=user,
    ).stdout.split()
    assert dirs == [
        str(home / "cache" / "chatocr" / "models"),
        str(home / "data" / "chatocr"),
        str(elsewhere / "reports"),  # eval reports and the OCR cache of finetune: the working directory
    ]

    # `chatocr finetune --check` from the wheel: a good folder passes, nothing is written
    folder = elsewhere / "mine"
    (folder / "img").mkdir(parents=True)
    for n in ("a.png", "b.png"):
        shutil.copy(sample_path, folder / "img" / n)
    labels = [{"image": f"img/{n}", "fields": {"价税合计": "¥1.00"}} for n in ("a.png", "b.png")]
    (folder / "labels.jsonl").write_text("".join(json.dumps(x) + "\n" for x in labels), encoding="utf-8")
    user["CHATOCR_MODELS_DIR"] = env["CHATOCR_MODELS_DIR"]
    cmd = [
        str(venv / "bin" / "chatocr"),
        "finetune",
        str(folder),
        "-o",
        str(elsewhere / "adapter"),
        "--check",
    ]
    r = _run(cmd, cwd=elsewhere, env=user)
    assert "ok, 2 labelled documents; fields: 价税合计" in r.stdout
    assert f"builds XTuner's venv in {home / 'data' / 'chatocr' / '.venv-xtuner'}" in r.stderr
    assert not (elsewhere / "adapter").exists() and not (home / "data").exists()
    # and a broken one is refused with every problem named, no traceback
    (folder / "labels.jsonl").write_text('{"image": "img/a.png"\n', encoding="utf-8")
    r = subprocess.run(cmd, cwd=elsewhere, env=user, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "labels.jsonl:1: not JSON" in r.stderr and "img/b.png: image without a label line" in r.stderr
