"""Retention: outputs are deleted after their TTL, exactly those (checked on disk)."""

from datetime import timedelta

from facegate.db import queries as q
from helpers import auth, encode, files, noise_image, wait_for_status


def test_expired_outputs_and_only_those_are_deleted(client, make_token, services) -> None:
    token = make_token()
    ids = []
    for seed in (1, 2):
        r = client.post(
            "/api/v1/face/tasks",
            headers=auth(token),
            files=files(encode(noise_image(seed=seed)), encode(noise_image(seed=seed + 10))),
        )
        ids.append(wait_for_status(client, token, r.json()["task_id"])["task_id"])
    with services.db.session() as s:
        old = q.get_task(s, task_id=ids[0])
        old.expires_at = q.now() - timedelta(seconds=1)
        old_path = services.store.root / old.result_key
        young_path = services.store.root / q.get_task(s, task_id=ids[1]).result_key
    assert old_path.is_file() and young_path.is_file()

    report = services.maintain()
    assert report.outputs_deleted == [ids[0]]
    assert not old_path.exists()
    assert young_path.is_file()
    assert services.store.list_keys() == [young_path.relative_to(services.store.root).as_posix()]
    r = client.get(f"/api/v1/face/tasks/{ids[0]}/result", headers=auth(token))
    assert (r.status_code, r.json()["error"]["code"]) == (410, "result_expired")
    events = [e for e in services.auditor.events() if e["kind"] == "cleanup.run"]
    assert events and events[-1]["details"]["outputs_deleted"] == [ids[0]]
