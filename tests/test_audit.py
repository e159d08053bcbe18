"""The audit log: append-only, chained, HMAC'd, checkpointed; tampering is found and located."""

import json
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from facegate.audit import Auditor, event_hash
from helpers import auth, encode, files, noise_image, wait_for_status


@pytest.fixture
def auditor(services) -> Auditor:
    for i in range(6):
        services.auditor.record(
            "test.event", actor="k1", tenant="acme", objects={"n": i}, details={"reason": f"r{i}"}
        )
    return services.auditor


def _raw(services, *statements: str) -> None:
    with services.db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _drop_triggers(services) -> None:
    _raw(services, "DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete")


def test_chain_verifies(auditor) -> None:
    result = auditor.verify()
    assert result.ok and result.count == 6
    assert len(result.head_hash) == 64


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET details = '{}' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 3",
    ],
)
def test_triggers_refuse_changes(auditor, services, statement) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(services, statement)
    assert auditor.verify().ok


def test_edited_row_is_located(auditor, services) -> None:
    _drop_triggers(services)
    _raw(services, """UPDATE audit_events SET details = '{"reason": "forged"}' WHERE seq = 4""")
    result = auditor.verify()
    assert not result.ok
    assert result.first_broken_seq == 4
    assert "hash" in result.reason


def test_deleted_row_is_located(auditor, services) -> None:
    _drop_triggers(services)
    _raw(services, "DELETE FROM audit_events WHERE seq = 3")
    result = auditor.verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "missing" in result.reason


def test_reordered_rows_are_located(auditor, services) -> None:
    _drop_triggers(services)
    _raw(
        services,
        "UPDATE audit_events SET seq = -2 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 5",
        "UPDATE audit_events SET seq = 5 WHERE seq = -2",
    )
    result = auditor.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)


def test_rechaining_without_the_key_is_found(auditor, services) -> None:
    """An attacker edits a row and recomputes every hash after it, but has no HMAC key."""
    _drop_triggers(services)
    rows = auditor.events()
    prev = rows[2]["prev_hash"]
    with services.db.engine.begin() as conn:
        for row in rows[2:]:
            if row["seq"] == 3:
                row["details"] = {"reason": "forged"}
            digest = event_hash(prev, row)
            conn.execute(
                text(
                    "UPDATE audit_events SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s"
                ),
                {"d": json.dumps(row["details"]), "p": prev, "h": digest, "s": row["seq"]},
            )
            prev = digest
    result = auditor.verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "HMAC" in result.reason


def test_checkpoints(auditor, services, tmp_path) -> None:
    checkpoint = auditor.checkpoint()
    assert checkpoint["count"] == 6
    auditor.record("test.later")
    assert auditor.verify_checkpoint(checkpoint).ok  # the log extends it
    forged = {**checkpoint, "count": 5}
    assert "signature" in auditor.verify_checkpoint(forged).reason
    from facegate.db import make_database

    elsewhere = Auditor(make_database(f"sqlite:///{tmp_path / 'other.db'}"), tmp_path / "k2")
    elsewhere.record("x")
    stranger = {**elsewhere.checkpoint(), "count": 6, "head_hash": checkpoint["head_hash"]}
    assert "another key" in auditor.verify_checkpoint(stranger).reason
    # truncating the tail (the last two events) is invisible to the chain alone
    _drop_triggers(services)
    _raw(services, "DELETE FROM audit_events WHERE seq >= 6")
    assert auditor.verify().ok
    result = auditor.verify_checkpoint(checkpoint)
    assert not result.ok and "truncated" in result.reason


def test_concurrent_writers_keep_one_chain(services, tmp_path) -> None:
    from facegate.db import make_database

    other = Auditor(make_database(str(services.settings.database_url)), services.settings.key_dir)

    def write(a: Auditor, n: int) -> None:
        for i in range(n):
            a.record("test.concurrent", details={"i": i})

    threads = [
        threading.Thread(target=write, args=(a, 25))
        for a in (services.auditor, other, services.auditor, other)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = services.auditor.verify()
    assert result.ok and result.count == 100


def test_a_task_run_is_recorded_without_secrets(client, make_token, services) -> None:
    token = make_token()
    r = client.post(
        "/api/v1/face/tasks",
        headers={**auth(token), "X-Request-ID": "req-7"},
        files=files(encode(noise_image(seed=1)), encode(noise_image(seed=2))),
    )
    task_id = r.json()["task_id"]
    assert wait_for_status(client, token, task_id)["status"] == "succeeded"
    events = services.auditor.events()
    kinds = [e["kind"] for e in events if e["objects"].get("task_id") == task_id]
    assert kinds == ["task.submitted", "task.started", "task.succeeded"]
    submitted = next(e for e in events if e["kind"] == "task.submitted")
    assert submitted["actor"] == token.split("_")[1]
    assert submitted["request_id"] == "req-7"
    assert submitted["client_ip"] == "127.0.0.1"
    assert len(submitted["details"]["source_sha256"]) == 64
    done = next(e for e in events if e["kind"] == "task.succeeded")
    assert done["details"]["safety"]["inputs"]["verdict"] == "allow"
    assert done["details"]["consent"]["enforcement"] == "off"  # recorded in every task
    dump = json.dumps(events)
    assert token.split("_", 2)[2] not in dump
    assert services.auditor.verify().ok
    started = [e for e in events if e["kind"] == "service.started"]
    assert started and started[0]["details"]["safety"]["consent_enforcement"] == "off"


def test_safety_setting_change_is_its_own_event(services) -> None:
    services.record_startup("api")
    services.settings.review_enabled = False
    services.record_startup("api")
    changed = [e for e in services.auditor.events() if e["kind"] == "settings.safety_changed"]
    assert changed[0]["details"]["changed"] == {"review_enabled": {"from": True, "to": False}}


def test_audit_api_needs_admin_and_is_tenant_scoped(client, make_token, services) -> None:
    services.auditor.record("test.mine", tenant="acme")
    services.auditor.record("test.theirs", tenant="globex")
    assert client.get("/api/v1/audit", headers=auth(make_token("process"))).status_code == 403
    body = client.get("/api/v1/audit", headers=auth(make_token("admin", tenant="acme"))).json()
    kinds = {e["kind"] for e in body["items"]}
    assert "test.mine" in kinds and "test.theirs" not in kinds
    verify = client.get("/api/v1/audit/verify", headers=auth(make_token("admin"))).json()
    assert verify["ok"] is True


def test_cli_verify_names_the_broken_event(auditor, services) -> None:
    import subprocess
    import sys

    from subprocesses import facegate_env

    env = facegate_env(services.settings.data_dir)
    ok = subprocess.run(
        [sys.executable, "-m", "facegate.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    _drop_triggers(services)
    _raw(services, """UPDATE audit_events SET actor = 'mallory' WHERE seq = 2""")
    bad = subprocess.run(
        [sys.executable, "-m", "facegate.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["first_broken_seq"] == 2


def test_compaction_is_checkpointed_audited_and_keeps_the_chain(tmp_path, monkeypatch) -> None:
    import facegate.audit as audit_module
    from facegate.db import make_database

    db = make_database(f"sqlite:///{tmp_path / 'log.db'}")
    auditor = Auditor(db, tmp_path / "keys")
    real_datetime = audit_module.datetime

    class OldClock(real_datetime):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return real_datetime(2020, 1, 1, tzinfo=tz)

    monkeypatch.setattr(audit_module, "datetime", OldClock)
    for i in range(4):
        auditor.record("test.old", details={"i": i})
    monkeypatch.setattr(audit_module, "datetime", real_datetime)
    for i in range(3):
        auditor.record("test.new", details={"i": i})
    before = auditor.checkpoint()

    result = auditor.compact(older_than_days=180, checkpoint_dir=tmp_path / "cp")
    assert result["pruned"] == 4 and result["through_seq"] == 4
    assert list((tmp_path / "cp").glob("*precompaction.json"))
    remaining = auditor.events()
    assert remaining[0]["seq"] == 5
    assert remaining[-1]["kind"] == "audit.compacted"
    verified = auditor.verify()
    assert verified.ok and verified.count == 4  # 3 new events + the compaction record
    assert auditor.verify_checkpoint(before).ok  # the log still extends the old checkpoint
    with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 5"))  # the trigger is back


def test_young_events_are_never_compacted(auditor, tmp_path) -> None:
    assert auditor.compact(older_than_days=180, checkpoint_dir=tmp_path)["pruned"] == 0
    assert auditor.verify().count == 6
