"""The real NudeNet model on the fixtures and edge cases; the user-ONNX loader on a tiny model
built here."""

import hashlib

import numpy as np
import pytest

from facegate.safety import DEFAULT_THRESHOLDS, SafetyPolicy, Verdict
from facegate.vision.nsfw import NudeNetDetector, OnnxClassifier
from helpers import face_rgb, noise_image

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nudenet():
    det = NudeNetDetector()
    det.setup()
    return det


@pytest.mark.parametrize("name", ["obama.jpg", "biden.jpg", "astronaut.png"])
def test_fixture_portraits_are_safe(nudenet, name) -> None:
    found = nudenet(face_rgb(name))
    assert any(d.label.startswith("FACE_") for d in found)  # the model really ran
    policy = SafetyPolicy(thresholds=DEFAULT_THRESHOLDS)
    assert policy.decide(found, image="x").verdict == Verdict.ALLOW


@pytest.mark.parametrize(
    "image",
    [
        noise_image(320, 240),
        np.zeros((1, 1, 3), np.uint8),
        np.full((8, 2000, 3), 255, np.uint8),
        noise_image(17, 900),
    ],
    ids=["noise", "1x1", "very-wide", "very-tall"],
)
def test_edge_cases_run_and_are_safe(nudenet, image) -> None:
    found = nudenet(image)
    assert (
        SafetyPolicy(thresholds=DEFAULT_THRESHOLDS).decide(found, image="x").verdict
        == Verdict.ALLOW
    )


def _tiny_classifier(path) -> str:
    """A 2-class 'classifier': class 1 = mean of the red channel, class 0 = 1 - that."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),  # (1, 3)
        helper.make_node("Slice", ["flat", "start", "end", "axis"], ["red"]),  # (1, 1)
        helper.make_node("Sub", ["one", "red"], ["not_red"]),
        helper.make_node("Concat", ["not_red", "red"], ["y"], axis=1),
    ]
    init = [
        helper.make_tensor("start", TensorProto.INT64, [1], [0]),
        helper.make_tensor("end", TensorProto.INT64, [1], [1]),
        helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
        helper.make_tensor("one", TensorProto.FLOAT, [1, 1], [1.0]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        init,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_user_onnx_classifier_is_loaded_and_run(tmp_path) -> None:
    path = tmp_path / "tiny.onnx"
    digest = _tiny_classifier(path)
    clf = OnnxClassifier(path, sha256=digest, labels=["SAFE", "FEMALE_BREAST_EXPOSED"], size=16)
    clf.setup()
    red = np.zeros((40, 40, 3), np.uint8)
    red[..., 0] = 255
    scores = {d.label: d.score for d in clf(red)}
    assert scores["FEMALE_BREAST_EXPOSED"] == pytest.approx(1.0, abs=1e-3)
    assert scores["SAFE"] == pytest.approx(0.0, abs=1e-3)
    decision = SafetyPolicy(thresholds=DEFAULT_THRESHOLDS).decide(clf(red), image="x")
    assert decision.verdict == Verdict.REJECT
    blue = np.zeros((40, 40, 3), np.uint8)
    blue[..., 2] = 255
    assert (
        SafetyPolicy(thresholds=DEFAULT_THRESHOLDS).decide(clf(blue), image="x").verdict
        == Verdict.ALLOW
    )


def test_user_onnx_checks_hash_and_labels(tmp_path) -> None:
    path = tmp_path / "tiny.onnx"
    digest = _tiny_classifier(path)
    with pytest.raises(RuntimeError, match="does not match"):
        OnnxClassifier(path, sha256="0" * 64, labels=["A", "B"], size=16).setup()
    with pytest.raises(RuntimeError, match="3 labels"):
        OnnxClassifier(path, sha256=digest, labels=["A", "B", "C"], size=16).setup()
    with pytest.raises(FileNotFoundError):
        OnnxClassifier(tmp_path / "absent.onnx", sha256=digest, labels=["A"], size=16).setup()
