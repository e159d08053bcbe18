import numpy as np
import pytest

from facegate.types import BBox, Detection
from facegate.vision.detector import non_max_suppression, tile_grid
from helpers import face_rgb, head, noise_image, place, side_by_side

pytestmark = pytest.mark.slow


def test_tile_grid_covers_the_frame() -> None:
    tiles = tile_grid(1920, 1080, 640)
    covered = np.zeros((1080, 1920), bool)
    for x, y, size in tiles:
        covered[y : y + size, x : x + size] = True
    assert covered.all()
    assert all(size == 640 for _, _, size in tiles)


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    a = Detection(BBox(0, 0, 100, 100), 0.9)
    b = Detection(BBox(5, 5, 100, 100), 0.8)
    c = Detection(BBox(300, 0, 100, 100), 0.7)
    assert non_max_suppression([b, a, c]) == [a, c]


@pytest.mark.parametrize("name", ["obama.jpg", "biden.jpg", "astronaut.png"])
def test_one_face_with_dense_landmarks(engine, name) -> None:
    faces = engine.find_faces(face_rgb(name))
    assert len(faces) == 1
    face = faces[0]
    assert face.landmarks.shape == (478, 3)
    # every mesh point lies in (or next to) the detected box
    x, y, w, h = face.box.x, face.box.y, face.box.width, face.box.height
    pts = face.landmarks[:, :2]
    assert (pts[:, 0] > x - 0.3 * w).all() and (pts[:, 0] < x + 1.3 * w).all()
    assert (pts[:, 1] > y - 0.5 * h).all() and (pts[:, 1] < y + 1.3 * h).all()
    assert abs(face.pose.yaw) < 25 and abs(face.pose.pitch) < 25


def test_several_faces_left_to_right(engine) -> None:
    frame = side_by_side(head("obama.jpg"), head("biden.jpg"), head("astronaut.png"))
    faces = engine.find_faces(frame)
    assert len(faces) == 3
    xs = [f.box.center[0] for f in faces]
    assert xs == sorted(xs)


def test_small_face_in_a_large_frame_is_found_by_tiles(engine) -> None:
    frame = place(face_rgb("astronaut.png"), (1920, 1080), (1300, 500))
    faces = engine.find_faces(frame)
    assert len(faces) == 1
    cx, cy = faces[0].box.center
    assert 1300 + 150 < cx < 1300 + 320 and 500 + 60 < cy < 500 + 200


def test_no_face_in_noise(engine) -> None:
    assert engine.find_faces(noise_image(640, 480)) == []


def test_pose_follows_rotation(engine) -> None:
    import cv2

    img = head("obama.jpg")
    h, w = img.shape[:2]
    rotated = cv2.warpAffine(
        img, cv2.getRotationMatrix2D((w / 2, h / 2), 25, 1.0), (w, h), borderMode=cv2.BORDER_REFLECT
    )
    upright = engine.find_faces(img)[0].pose.roll
    tilted = engine.find_faces(rotated)[0].pose.roll
    assert tilted - upright == pytest.approx(-25, abs=5)
