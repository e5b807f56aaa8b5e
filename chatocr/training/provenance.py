"""PROVENANCE.md of a fine-tuned adapter: its data, settings and the held-out F1 before and after."""

from __future__ import annotations


def _f1(summary: dict | None, name: str | None = None) -> str:
    if not summary:
        return "–"
    if name is None:
        v = summary.get("overall", {}).get("f1")
    else:
        v = summary.get("fields", {}).get(name, {}).get("f1")
    return "–" if v is None else f"{v:.3f}"


def provenance(info: dict) -> str:
    s = info["samples"]
    lines = [
        "# Provenance of this adapter",
        "",
        "Made by `chatocr finetune` from a folder of labelled documents, on top of the adapter named below.",
        "",
        "## Data",
        f"- folder: `{info['folder']}` ({info['documents']} documents; fields {', '.join(info['fields'])})",
        f"- trained on {len(info['train_documents'])} documents, held out {len(info['holdout_documents'])} "
        f"(--holdout {info['holdout']}, chosen by --seed {info['seed']}): "
        + (", ".join(info["holdout_documents"]) or "none"),
        f"- samples: {s['user']} from these documents ({s.get('labelled fields', 0)} asking labelled fields: all "
        f"in order and shuffled subsets; {s.get('with absent field', 0)} with a field the document lacks, "
        "answered null), written by `llm_stage.prompt.xtuner_sample` from the OCR result, targets snapped "
        "to the OCR text",
        f"- synthetic: {s['synthetic']} samples from `{info['synthetic_file']}` (--synthetic-share {info['synthetic_share']})"
        if s["synthetic"]
        else "- synthetic: none",
        f"- OCR engine: {info['engine']}",
        "",
        "## Training",
        f"- start: {info['start']} (base {info['base']}); LoRA {info['lora']}",
        f"- XTuner recipe `{info['config']}`, {info['steps']} steps at batch 1, seed {info['seed']}",
        f"- {info['train_minutes']} min of training, {info['total_minutes']} min in all",
        "",
        "## Held-out documents: before / after (micro F1, `chatocr.evaluation`)",
    ]
    if info["before"] is None:
        lines.append("- no documents held out: no score")
    else:
        lines += ["", "| field | before | after |", "|---|---|---|"]
        for name in info["fields"]:
            lines.append(f"| {name} | {_f1(info['before'], name)} | {_f1(info['after'], name)} |")
        lines.append(f"| **all** | {_f1(info['before'])} | {_f1(info['after'])} |")
    return "\n".join(lines) + "\n"
