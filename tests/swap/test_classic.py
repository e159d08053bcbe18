"""The classic engine on real portraits: identity moves, the rest of the image does not, each
selection mode and each refusal."""

import cv2
import numpy as np
import pytest

from facegate.errors import ProcessingError
from facegate.swap.base import FaceSelection, SwapOptions
from facegate.swap.classic import ClassicSwapEngine
from facegate.vision.identity import template_distance
from helpers import face_rgb, head, noise_image, place, side_by_side

pytestmark = pytest.mark.slow


def _template(engine, identity, image, face_index=None):
    faces = engine.find_faces(image)
    face = faces[face_index] if face_index is not None else max(faces, key=lambda f: f.box.area)
    return identity(image, face.box)


@pytest.mark.parametrize(
    ("src", "tgt"),
    [("obama.jpg", "biden.jpg"), ("biden.jpg", "astronaut.png"), ("astronaut.png", "obama.jpg")],
)
def test_output_shows_the_source_person(engine, identity, src, tgt) -> None:
    source, target = face_rgb(src), face_rgb(tgt)
    result = engine.process(source, target, SwapOptions())
    out_t = _template(engine, identity, result.image)
    to_source = template_distance(out_t, _template(engine, identity, source))
    to_target = template_distance(out_t, _template(engine, identity, target))
    assert to_source < 0.6, (to_source, to_target)
    assert to_source < to_target
    assert result.report["faces_replaced"] == [0]
    assert set(result.report["timings_ms"]) >= {"detect", "landmarks", "swap"}


def test_pixels_far_from_the_face_are_untouched(engine) -> None:
    target = face_rgb("obama.jpg")
    out = engine.process(face_rgb("biden.jpg"), target, SwapOptions()).image
    assert out.shape == target.shape
    face = engine.find_faces(target)[0]
    x, y, w, h = face.box.to_list()
    far = np.ones(target.shape[:2], bool)
    far[max(0, y - h) : y + 2 * h, max(0, x - w) : x + 2 * w] = False
    assert np.array_equal(out[far], target[far])
    inside = (slice(y + h // 3, y + 2 * h // 3), slice(x + w // 3, x + 2 * w // 3))
    assert np.abs(out[inside].astype(int) - target[inside].astype(int)).mean() > 5


def test_expression_and_pose_of_the_target_are_kept(engine) -> None:
    target = face_rgb("biden.jpg")
    out = engine.process(face_rgb("obama.jpg"), target, SwapOptions()).image
    before = engine.find_faces(target)[0]
    after = engine.find_faces(out)[0]
    error = np.linalg.norm(after.landmarks[:468, :2] - before.landmarks[:468, :2], axis=1).mean()
    assert error / before.interocular < 0.05


def _changed(before: np.ndarray, after: np.ndarray, box) -> bool:
    x, y, w, h = box.to_list()
    region = (slice(y + h // 4, y + 3 * h // 4), slice(x + w // 4, x + 3 * w // 4))
    return float(np.abs(before[region].astype(int) - after[region].astype(int)).mean()) > 5


@pytest.fixture(scope="module")
def group():
    return side_by_side(head("obama.jpg"), head("biden.jpg"), head("astronaut.png"))


@pytest.mark.parametrize(
    ("selection", "replaced"),
    [
        (FaceSelection("largest"), [1]),
        (FaceSelection("all"), [0, 1, 2]),
        (FaceSelection("index", index=2), [2]),
        (FaceSelection("index", index=0), [0]),
        (FaceSelection("box", box=(900, 100, 250, 250)), [2]),
    ],
    ids=["largest", "all", "index-2", "index-0", "box"],
)
def test_selection_modes(engine, group, selection, replaced) -> None:
    # a source person who is not in the group, so every replaced face visibly changes
    source = np.ascontiguousarray(face_rgb("obama.jpg")[:, ::-1])
    source = cv2.convertScaleAbs(source, alpha=0.8, beta=40)
    result = engine.process(source, group, SwapOptions(selection=selection))
    assert result.report["faces_replaced"] == replaced
    assert len(result.report["faces_found"]) == 3
    for i, face in enumerate(engine.find_faces(group)):
        x, y, w, h = face.box.to_list()
        region = (slice(y, y + h), slice(x, x + w))
        if i in replaced:
            assert _changed(group, result.image, face.box), i
        else:
            assert np.array_equal(result.image[region], group[region]), i


def _refusal(engine, source, target, options=None) -> ProcessingError:
    with pytest.raises(ProcessingError) as info:
        engine.process(source, target, options or SwapOptions())
    return info.value


def test_no_face_in_source_or_target(engine) -> None:
    err = _refusal(engine, noise_image(400, 400), face_rgb("obama.jpg"))
    assert (err.code, err.details["image"]) == ("no_face", "source")
    err = _refusal(engine, face_rgb("obama.jpg"), noise_image(400, 400))
    assert (err.code, err.details["image"]) == ("no_face", "target")


def test_multiple_source_faces(engine, group) -> None:
    err = _refusal(engine, group, face_rgb("obama.jpg"))
    assert err.code == "multiple_source_faces"
    assert err.details["faces_found"] == 3


def test_face_too_small_names_the_minimum(engine) -> None:
    tiny = place(head("obama.jpg"), (800, 600), (300, 200), scale=0.15)
    err = _refusal(engine, tiny, face_rgb("biden.jpg"))
    assert err.code == "face_too_small"
    assert err.details["min_face_px"] == 64
    assert err.details["face_px"] < 64
    assert "64 px" in err.message


def test_pose_out_of_range(engine) -> None:
    strict = ClassicSwapEngine(max_yaw=5.0)
    strict.detector, strict.mesher = engine.detector, engine.mesher
    # biden's head is turned about 10 degrees
    err = _refusal(strict, face_rgb("biden.jpg"), face_rgb("obama.jpg"))
    assert err.code == "pose_out_of_range"
    assert err.details["image"] == "source"
    assert abs(err.details["pose"]["yaw"]) > 5


def test_face_cut_by_the_image_edge(engine) -> None:
    img = head("obama.jpg")
    cut = np.ascontiguousarray(img[:, 190:])  # the left third of the face is missing
    faces = engine.find_faces(cut)
    if not faces:
        pytest.skip("the detector found no face in the cut image")
    err = _refusal(engine, cut, face_rgb("biden.jpg"))
    assert err.code == "face_out_of_frame"


def test_index_and_box_that_match_no_face(engine, group) -> None:
    err = _refusal(
        engine, head("obama.jpg"), group, SwapOptions(selection=FaceSelection("index", index=7))
    )
    assert (err.code, err.details["faces_found"]) == ("face_not_found", 3)
    err = _refusal(
        engine,
        head("obama.jpg"),
        group,
        SwapOptions(selection=FaceSelection("box", box=(0, 0, 30, 30))),
    )
    assert err.code == "face_not_found"


def test_all_mode_skips_faces_it_cannot_do(engine) -> None:
    frame = side_by_side(head("obama.jpg"), head("biden.jpg"))
    small = cv2.resize(head("astronaut.png"), (50, 50))
    frame[10:60, 10:60] = small  # a third, too small face
    result = engine.process(
        head("astronaut.png"), frame, SwapOptions(selection=FaceSelection("all"))
    )
    found = len(result.report["faces_found"])
    assert result.report["faces_replaced"] == [
        i for i in range(found) if i not in {s["face"] for s in result.report["faces_skipped"]}
    ]
    assert all(s["reason"] == "face_too_small" for s in result.report["faces_skipped"])


def test_rotated_and_flipped_targets(engine, identity) -> None:
    target = head("biden.jpg")
    h, w = target.shape[:2]
    rotated = cv2.warpAffine(
        target,
        cv2.getRotationMatrix2D((w / 2, h / 2), 20, 1.0),
        (w, h),
        borderMode=cv2.BORDER_REFLECT,
    )
    source = head("obama.jpg")
    src_t = _template(engine, identity, source)
    for variant in (rotated, np.ascontiguousarray(target[:, ::-1])):
        out = engine.process(source, variant, SwapOptions()).image
        assert template_distance(_template(engine, identity, out), src_t) < 0.6


def test_cost_does_not_grow_with_the_frame(engine) -> None:
    """Same face, frame 512 px vs 1920x1080: the swap stage works on a crop (no timing asserted:
    the crop size is)."""
    from facegate.swap.classic import swap_face

    small_frame = face_rgb("astronaut.png")
    big_frame = place(small_frame, (1920, 1080), (600, 200))
    source = head("obama.jpg")
    sf = engine.find_faces(source)[0]
    _, small_box = swap_face(source, sf, small_frame, engine.find_faces(small_frame)[0])
    _, big_box = swap_face(source, sf, big_frame, engine.find_faces(big_frame)[0])
    size = lambda b: (b[2] - b[0], b[3] - b[1])  # noqa: E731
    assert abs(size(small_box)[0] - size(big_box)[0]) <= 4


@pytest.mark.parametrize("quarter", [1, 2, 3])
def test_quarter_turned_targets_are_found_and_swapped(engine, identity, quarter) -> None:
    target = np.ascontiguousarray(np.rot90(head("biden.jpg"), quarter))
    faces = engine.find_faces(target)
    assert len(faces) == 1
    pts = faces[0].landmarks[:, :2]
    h, w = target.shape[:2]
    assert (pts[:, 0] >= -5).all() and (pts[:, 0] <= w + 5).all()
    assert (pts[:, 1] >= -5).all() and (pts[:, 1] <= h + 5).all()
    source = head("obama.jpg")
    out = engine.process(source, target, SwapOptions()).image
    upright = np.ascontiguousarray(np.rot90(out, -quarter))
    assert (
        template_distance(_template(engine, identity, upright), _template(engine, identity, source))
        < 0.6
    )
