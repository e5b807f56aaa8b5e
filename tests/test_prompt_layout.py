"""The prompt layouts: `xy` writes the rows `rows` writes, each with its quantised position; a
model is asked in the layout its adapter names; the generator writes samples in either layout from
the stored OCR results."""

from __future__ import annotations

import json

import pytest
from fakes import ScriptedBackend

from generate_data.build import assemble, doc_type_for, split_for
from llm_stage import FieldQuery, extract
from llm_stage.prompt import LAYOUT_ENV, build_user_message, layout_for, render_document, xtuner_sample
from ocr_stage import OcrPage, OcrResult, TextLine


def line(text: str, x: float, y: float, w: float = 200, h: float = 30) -> TextLine:
    return TextLine(text=text, box=[(x, y), (x + w, y), (x + w, y + h), (x, y + h)], score=0.95)


def receipt() -> OcrResult:
    lines = [
        line("KEDAI MAJU SDN BHD", 300, 40, 400),
        line("SUBTOTAL", 50, 700, 150),
        line("8.00", 800, 702, 80),
        line("TAX", 50, 760, 80),
        line("1.00", 800, 761, 80),
        line("TOTAL", 50, 820, 100),
        line("9.00", 800, 821, 80),
    ]
    return OcrResult(pages=[OcrPage(page=1, width=1000, height=1400, lines=lines)])


def test_xy_writes_the_rows_of_rows_each_with_its_position():
    ocr = receipt()
    rows = render_document(ocr, "rows").split("\n")
    xy = render_document(ocr, "xy").split("\n")
    assert [r.split(" ", 1)[1] for r in xy] == rows  # same rows, same spacing ("TOTAL  9.00")
    assert xy[0] == "02|30 KEDAI MAJU SDN BHD"
    assert xy[-1] == "58|05 TOTAL  9.00"
    ys = [int(r[:2]) for r in xy]
    assert ys == sorted(ys)


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="unknown prompt layout 'grid'"):
        render_document(receipt(), "grid")


def test_layout_for_reads_the_adapter_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(LAYOUT_ENV, raising=False)
    assert layout_for(None) == "rows"
    assert layout_for(tmp_path) == "rows"  # an adapter without prompt.json: the default
    (tmp_path / "prompt.json").write_text('{"layout": "xy"}')
    assert layout_for(tmp_path) == "xy"
    monkeypatch.setenv(LAYOUT_ENV, "rows")
    assert layout_for(tmp_path) == "rows"
    monkeypatch.setenv(LAYOUT_ENV, "columns")
    with pytest.raises(ValueError, match="unknown prompt layout"):
        layout_for(tmp_path)


def test_extract_asks_in_the_layout_the_adapter_was_trained_on(tmp_path, monkeypatch):
    monkeypatch.delenv(LAYOUT_ENV, raising=False)
    backend = ScriptedBackend({"total": "9.00"})
    extract(receipt(), FieldQuery(fields=["total"]), backend)
    assert "\nTOTAL  9.00\n" in backend.calls[0]["messages"][1]["content"]
    (tmp_path / "prompt.json").write_text('{"layout": "xy"}')
    backend = ScriptedBackend({"total": "9.00"})
    backend.adapter_dir = tmp_path
    out = extract(receipt(), FieldQuery(fields=["total"]), backend)
    assert "\n58|05 TOTAL  9.00\n" in backend.calls[0]["messages"][1]["content"]
    assert out.fields["total"].value == "9.00"  # copied and grounded from the rows as before


def test_assemble_writes_either_layout_from_the_stored_ocr(tmp_path):
    types, seed = ("my_receipt",), 5
    index = next(i for i in range(50) if split_for(i, seed) == "train")
    did = f"{index:06d}_{doc_type_for(index, seed, types)}"
    ocr = receipt()
    (tmp_path / "work" / "ocr").mkdir(parents=True)
    (tmp_path / "work" / "docs").mkdir(parents=True)
    (tmp_path / "work" / "ocr" / f"{did}.json").write_text(ocr.model_dump_json())
    query = FieldQuery(fields=["company", "total"])
    answer = {"company": "KEDAI MAJU SDN BHD", "total": "9.00"}
    record = {
        "id": did,
        "index": index,
        "seed": seed,
        "doc_type": types[0],
        "split": "train",
        "image": f"work/img/{did}.jpg",
        "fields": answer,
        "ocr": f"work/ocr/{did}.json",
        "ocr_contains": {"company": True, "total": True},
        "queries": [{"query": query.model_dump(exclude_defaults=True), "answer": answer}],
        "samples": [],
        "timings": {"ocr_s": 1.0},
    }
    (tmp_path / "work" / "docs" / f"{did}.json").write_text(json.dumps(record))
    assemble(tmp_path, range(index + 1), seed, types)
    assemble(tmp_path, range(index + 1), seed, types, "xy")
    (rows,) = [json.loads(s) for s in (tmp_path / "train.jsonl").read_text().splitlines()]
    (xy,) = [json.loads(s) for s in (tmp_path / "train.xy.jsonl").read_text().splitlines()]
    assert rows["conversation"][0]["input"] == build_user_message(ocr, query, "rows")
    assert xy["conversation"][0]["input"] == build_user_message(ocr, query, "xy")
    assert xy["conversation"][0]["output"] == rows["conversation"][0]["output"] == json.dumps(answer)


def test_assemble_finds_a_record_by_its_index_when_the_registry_has_changed(tmp_path):
    # types registered after a run change which type an index draws; its records are still found
    types, seed = ("my_receipt",), 5
    index = next(i for i in range(50) if split_for(i, seed) == "train")
    did = f"{index:06d}_a_type_registered_before"
    (tmp_path / "work" / "docs").mkdir(parents=True)
    record = {
        "id": did,
        "index": index,
        "seed": seed,
        "doc_type": "a_type_registered_before",
        "split": "train",
        "image": f"work/img/{did}.jpg",
        "fields": {"total": "9.00"},
        "ocr_contains": {"total": True},
        "queries": [{"query": {"fields": ["total"]}, "answer": {"total": "9.00"}}],
        "samples": [xtuner_sample("TOTAL 9.00", FieldQuery(fields=["total"]), {"total": "9.00"})],
        "timings": {"ocr_s": 1.0},
    }
    (tmp_path / "work" / "docs" / f"{did}.json").write_text(json.dumps(record))
    stats = assemble(tmp_path, range(index + 1), seed, types)
    assert stats["documents"] == 1
    assert len((tmp_path / "train.jsonl").read_text().splitlines()) == 1


def test_mix_joins_runs_train_in_turn_and_val_shuffled(tmp_path):
    from generate_data.build import mix

    runs = []
    for r in ("a", "b"):
        run = tmp_path / r
        run.mkdir()
        for split, n in (("train", 3), ("val", 20)):
            (run / f"{split}.jsonl").write_text("".join(f'{{"{r}": {i}}}\n' for i in range(n)))
        runs.append(run)
    counts = mix(runs, "v9", tmp_path / "out")
    assert counts == {"train": 6, "val": 40}
    train = (tmp_path / "out" / "train-v9.jsonl").read_text().splitlines()
    assert train == [f'{{"{r}": {i}}}' for r in "ab" for i in range(3)]
    val = (tmp_path / "out" / "val-v9.jsonl").read_text().splitlines()
    assert sorted(val) == sorted(f'{{"{r}": {i}}}' for r in "ab" for i in range(20))
    assert {v[2] for v in val[:10]} == {"a", "b"}  # the first samples come from both runs
    with pytest.raises(FileNotFoundError, match="assemble"):
        mix(runs, "v9", tmp_path / "out", layout="xy")


def test_mix_weights_repeat_or_subsample_a_runs_train_samples(tmp_path):
    from click.testing import CliRunner

    from generate_data.build import mix
    from generate_data.cli import main

    for r in ("a", "b"):
        run = tmp_path / r
        run.mkdir()
        for split, n in (("train", 10), ("val", 4)):
            (run / f"{split}.jsonl").write_text("".join(f'{{"{r}": {i}}}\n' for i in range(n)))
    counts = mix([(tmp_path / "a", 2), (tmp_path / "b", 0.5)], "w", tmp_path / "out")
    assert counts == {"train": 25, "val": 8}  # val samples once, whatever the weight
    train = (tmp_path / "out" / "train-w.jsonl").read_text().splitlines()
    a = [t for t in train if '"a"' in t]
    b = [t for t in train if '"b"' in t]
    assert sorted(a) == sorted(f'{{"a": {i}}}' for i in range(10) for _ in range(2))
    assert len(b) == len(set(b)) == 5  # a half, without repeats
    again = mix([(tmp_path / "a", 2), (tmp_path / "b", 0.5)], "w2", tmp_path / "out")
    assert again == counts
    assert (tmp_path / "out" / "train-w2.jsonl").read_text().splitlines() == train  # seeded

    cli = CliRunner()
    ok = cli.invoke(
        main,
        ["mix", f"{tmp_path / 'a'}:2", str(tmp_path / "b"), "--name", "c", "--out", str(tmp_path / "out")],
    )
    assert ok.exit_code == 0, ok.output
    assert "30 train and 8 val" in ok.output
    for bad, says in (
        (f"{tmp_path / 'a'}:x", "must be a number"),
        (f"{tmp_path / 'a'}:0", "above 0"),
        (str(tmp_path / "nope"), "not a run folder"),
    ):
        res = cli.invoke(main, ["mix", bad, "--name", "c", "--out", str(tmp_path / "out")])
        assert res.exit_code != 0 and says in res.output, res.output


def test_items_set_keeps_each_line_items_sample_once(tmp_path):
    from click.testing import CliRunner

    from generate_data.cli import main
    from llm_stage.types import ITEM_KEYS

    def sample(doc: str, answer: dict) -> str:
        turn = {"system": "s", "input": f"<document>\n{doc}\n</document>", "output": json.dumps(answer)}
        return json.dumps({"conversation": [turn]})

    row = dict.fromkeys(ITEM_KEYS) | {"description": "MILO", "amount": "3.00"}
    items_a = sample("MILO 3.00", {"line items": [row]})
    items_b = sample("MILO 3.00\nTOTAL 3.00", {"items": [row], "total": "3.00"})
    plain = sample("TOTAL 3.00", {"total": "3.00"})
    empty = sample("TOTAL 3.00", {"line items": []})
    out = tmp_path / "sets"
    out.mkdir()
    (out / "train-m.jsonl").write_text("\n".join([items_a, plain, items_b, items_a, empty]) + "\n")
    (out / "val-m.jsonl").write_text("\n".join([items_b, sample("X 1.00", {"items": [row]})]) + "\n")
    cli = CliRunner()
    res = cli.invoke(main, ["items-set", "m", "--name", "it", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "2 train and 1 val" in res.output
    assert (out / "train-it.jsonl").read_text().splitlines() == [items_a, items_b]  # in order, once
    assert len((out / "val-it.jsonl").read_text().splitlines()) == 1  # the train sample dropped
    missing = cli.invoke(main, ["items-set", "nope", "--out", str(out)])
    assert missing.exit_code != 0 and "mix the set" in missing.output
