"""The reader's loader (rag/reader.py) on a tiny ONNX model built here: its inputs, the
pinned sha256 and the Platt scalings. The answer decision's
features (``answer_features``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from rag.errors import EmbedderError
from rag.reader import Reader, answer_features, pair_text


def _tiny_model(path: Path) -> Path:
    """logits = 0.5 · (tokens in the pair) − 4: a stand-in with the real inputs."""
    import onnx
    from onnx import TensorProto, helper

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch"])
    nodes = [
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["mask", "axes"], ["count"], keepdims=0),
        helper.make_node("Mul", ["count", "half"], ["scaled"]),
        helper.make_node("Sub", ["scaled", "four"], ["logits"]),
    ]
    constants = [
        helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
        helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
        helper.make_tensor("four", TensorProto.FLOAT, [], [4.0]),
    ]
    graph = helper.make_graph(nodes, "tiny", inputs, [output], initializer=constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def _calibration(path: Path, model: Path, sha256: str | None = None) -> Path:
    digest = sha256 or hashlib.sha256(model.read_bytes()).hexdigest()
    row = {
        "sentence": [1.0, 0.0],
        "answer": {"best": 2.0, "gap": 1.0, "bias": -1.0},
        "threshold": 0.6,
        "precision": 0.8,
    }
    path.write_text(json.dumps({**row, "sha256": digest}))
    return path


def test_the_reader_reads_each_pair_and_calibrates_its_logit(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "reader-int8.onnx")
    reader = Reader(model=model, calibration=_calibration(tmp_path / "reader.json", model))
    texts = [pair_text("Steam engine", "Watt improved it."), "A much longer sentence " * 3]
    logits = reader.logits("When?", texts)
    # [CLS] q [SEP] text [SEP]: the count grows with the text, one logit per pair
    assert logits.shape == (2,) and logits[1] > logits[0]
    assert reader.sha256 == hashlib.sha256(model.read_bytes()).hexdigest()
    assert reader.calibration.threshold == 0.6
    assert reader.sentence_probability(0.0) == pytest.approx(0.5)
    # σ(2·best + 1·gap − 1), the features by name
    assert reader.answer_probability({"best": 0.5, "gap": 0.0}) == pytest.approx(0.5)
    sure = reader.answer_probability({"best": 0.5, "gap": 2.0})
    assert sure == pytest.approx(1 / (1 + np.exp(-2)))
    assert reader.logits("q?", []).shape == (0,)
    assert np.isfinite(logits).all()


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "reader-int8.onnx")
    calibration = _calibration(tmp_path / "reader.json", model, sha256="0" * 64)
    with pytest.raises(EmbedderError, match="sha256"):
        Reader(model=model, calibration=calibration).logits("q?", ["s."])


def test_a_missing_model_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="python -m rag.train"):
        Reader(model=tmp_path / "absent.onnx").logits("q?", ["s."])


def test_the_title_stands_before_the_sentence() -> None:
    assert pair_text("Normans", "They came from Norse.") == "Normans: They came from Norse."
    assert pair_text("", "Alone.") == "Alone."
    assert pair_text(" ".join(["w"] * 30), "S.").count("w") == 12


def test_the_answer_features_read_the_best_candidate_and_its_lead() -> None:
    f = answer_features([1.0, 3.0, 2.5], coverage=[0.1, 0.8, 0.2], dense=[0.3, 0.6, 0.1])
    assert f == {"best": 3.0, "gap": pytest.approx(0.5), "coverage": 0.8, "dense": 0.6}
    alone = answer_features([2.0], [0.5], [0.4])
    assert alone["gap"] == 5.0  # capped: nothing comes close
    assert answer_features([], [], [])["best"] == -20.0  # nothing to read: refuse


def test_a_reader_is_available_only_with_its_model_and_its_calibration(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "reader-int8.onnx")
    assert not Reader(model=model, calibration=tmp_path / "reader.json").available
    assert not Reader(model=tmp_path / "absent.onnx", calibration=model).available
    calibration = _calibration(tmp_path / "reader.json", model)
    assert Reader(model=model, calibration=calibration).available
