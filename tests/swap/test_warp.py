import numpy as np
import pytest

from facegate.swap.blend import alpha_blend, laplacian_blend
from facegate.swap.mesh import mesh_triangles
from facegate.swap.warp import apply_transform, piecewise_affine_maps, similarity_transform


def test_mesh_has_the_known_triangle_count() -> None:
    triangles = mesh_triangles()
    assert triangles.shape == (854, 3)
    assert triangles.max() < 468


def test_similarity_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (50, 2))
    angle, scale, shift = np.deg2rad(20), 1.7, np.array([5.0, -3.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ (scale * rot).T + shift
    matrix = similarity_transform(src, dst)
    assert np.allclose(apply_transform(matrix, src), dst, atol=1e-9)


def test_piecewise_affine_maps_send_vertices_to_their_sources() -> None:
    src = np.array([[10.0, 10.0], [60.0, 12.0], [30.0, 50.0], [70.0, 60.0]])
    dst = src * 1.5 + 4
    triangles = np.array([[0, 1, 2], [1, 2, 3]])
    map_x, map_y, covered = piecewise_affine_maps(src, dst, triangles, (120, 120))
    # an interior point of the first triangle maps back exactly (the map is affine there)
    centroid_dst = dst[[0, 1, 2]].mean(0)
    x, y = np.round(centroid_dst).astype(int)
    expected = (np.array([x, y]) - 4) / 1.5
    assert covered[y, x] == 255
    assert map_x[y, x] == pytest.approx(expected[0], abs=1e-3)
    assert map_y[y, x] == pytest.approx(expected[1], abs=1e-3)
    assert covered[0, 0] == 0 and map_x[0, 0] == -1


@pytest.mark.parametrize("blend", [alpha_blend, laplacian_blend])
def test_blends_respect_the_mask(blend) -> None:
    face = np.full((256, 256, 3), 200, np.uint8)
    target = np.full((256, 256, 3), 50, np.uint8)
    alpha = np.zeros((256, 256), np.float32)
    alpha[64:192, 64:192] = 1.0
    out = blend(face, target, alpha)
    assert abs(int(out[128, 128, 0]) - 200) <= 3
    assert abs(int(out[4, 4, 0]) - 50) <= 3
