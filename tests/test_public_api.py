import pytest

import facegate
from facegate.client import FaceGateAPIError, FaceGateClient
from helpers import encode, noise_image


def test_public_names_are_pinned() -> None:
    assert sorted(facegate.__all__) == sorted(
        [
            "FaceGateAPIError",
            "FaceGateClient",
            "FaceGateError",
            "Settings",
            "TaskStatus",
            "__version__",
            "get_settings",
        ]
    )
    for name in facegate.__all__:
        assert hasattr(facegate, name)


def test_client_round_trip_and_errors(client, make_token) -> None:
    api = FaceGateClient(token=make_token("process"), http=client)
    task = api.submit(
        encode(noise_image(seed=1)),
        encode(noise_image(seed=2)),
        source_subject_id="",
        output_format="png",
    )
    done = api.wait(task["task_id"], poll=0.02)
    assert done["status"] == "succeeded"
    assert api.result(task["task_id"]).startswith(b"\x89PNG")
    assert api.verify(api.result(task["task_id"]))["watermark"]["content_id"] == task["task_id"]
    with pytest.raises(FaceGateAPIError) as info:
        api.task("0000000000000000")
    assert (info.value.status, info.value.code) == (404, "not_found")
    bad = FaceGateClient(token="fg_bad", http=client)
    with pytest.raises(FaceGateAPIError) as info:
        bad.task("x")
    assert info.value.code == "malformed_token"
