"""Topology of MediaPipe's 468-point face mesh: triangles and the named regions we mask."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["BROWS", "FACE_OVAL", "INNER_MOUTH", "LEFT_EYE", "RIGHT_EYE", "mesh_triangles"]

# Closed rings, in order (MediaPipe face_mesh_connections).
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
             109]  # fmt: skip
INNER_MOUTH = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178,
               88, 95]  # fmt: skip
LEFT_EYE = [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7]
RIGHT_EYE = [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249]
BROWS = [70, 63, 105, 66, 107, 336, 296, 334, 293, 300]


@lru_cache(maxsize=1)
def mesh_triangles() -> np.ndarray:
    """(N, 3) vertex indices of the mesh's triangles, recovered as the 3-cliques of its edges."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    neighbours: dict[int, set[int]] = {}
    for a, b in FACEMESH_TESSELATION:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    triangles = set()
    for a, b in FACEMESH_TESSELATION:
        for c in neighbours[a] & neighbours[b]:
            triangles.add(tuple(sorted((a, b, c))))
    return np.array(sorted(triangles), dtype=np.int32)
