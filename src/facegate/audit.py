"""The tamper-evident audit log: append, verify, export, signed checkpoints.

Each event: ``hash = sha256(prev_hash || canonical_json(event))`` where the event includes its
sequence number, and ``mac = HMAC-SHA256(server key, hash)`` so that someone who can write to
the database but lacks the key cannot re-chain edited rows. Triggers refuse UPDATE and DELETE.
Checkpoints (count, head hash, time) are signed with an Ed25519 key and can be copied elsewhere:
``verify --checkpoint`` proves the log still extends them (a truncated tail is caught too).
Events carry pseudonymous ids and hashes only: no images, no templates, never a token.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from facegate.db import Database
from facegate.db.tables import AuditAnchor, AuditEvent

__all__ = ["GENESIS", "Auditor", "VerifyResult", "canonical_json", "event_hash"]

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_FIELDS = ("seq", "at", "kind", "actor", "tenant", "client_ip", "request_id", "objects", "details")


def canonical_json(event: dict[str, Any]) -> bytes:
    return json.dumps(
        {k: event.get(k) for k in _FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    ).encode("ascii")


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(event)).hexdigest()


def _row_event(row: AuditEvent) -> dict[str, Any]:
    return {k: getattr(row, k) for k in _FIELDS}


def _load_or_create_key(path: Path, make: Any) -> bytes:
    """Read a key file, creating it first if needed. Safe when several processes start at
    once: the key is written to a private temporary file and published with an atomic link,
    and everyone reads back whichever key won."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(make())
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    data = path.read_bytes()
    if not data:
        raise RuntimeError(f"key file {path} is empty")
    return data


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    first_broken_seq: int | None = None
    reason: str = ""
    head_seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
        }


class Auditor:
    def __init__(self, db: Database, key_dir: Path, mirror: Path | None = None) -> None:
        self.db = db
        self.key_dir = Path(key_dir)
        self.mirror = mirror
        self._mac_key: bytes | None = None
        self._lock = threading.Lock()

    @property
    def mac_key(self) -> bytes:
        if self._mac_key is None:
            self._mac_key = _load_or_create_key(
                self.key_dir / "audit_hmac.key", lambda: secrets.token_bytes(32)
            )
        return self._mac_key

    def _mac(self, digest: str) -> str:
        return hmac.new(self.mac_key, digest.encode("ascii"), hashlib.sha256).hexdigest()

    # --- append ---------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        *,
        actor: str = "system",
        tenant: str | None = None,
        client_ip: str | None = None,
        request_id: str | None = None,
        objects: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event (retrying if another writer took the same place in the chain)."""
        for _ in range(50):
            try:
                with self._lock, self.db.session() as s:
                    last = s.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
                    prev = last.hash if last else GENESIS
                    event = {
                        "seq": (last.seq + 1) if last else 1,
                        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
                        "kind": kind,
                        "actor": actor,
                        "tenant": tenant,
                        "client_ip": client_ip,
                        "request_id": request_id,
                        "objects": objects or {},
                        "details": details or {},
                    }
                    digest = event_hash(prev, event)
                    row = AuditEvent(**event, prev_hash=prev, hash=digest, mac=self._mac(digest))
                    s.add(row)
                    s.flush()
                self._mirror(row)
                return row
            except IntegrityError:
                continue  # another process appended first: chain onto its event
        raise RuntimeError("could not append to the audit log (contention)")

    def _mirror(self, row: AuditEvent) -> None:
        if self.mirror is None:
            return
        line = json.dumps(
            {**_row_event(row), "prev_hash": row.prev_hash, "hash": row.hash, "mac": row.mac},
            sort_keys=True,
            default=str,
        )
        with open(self.mirror, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    # --- read -----------------------------------------------------------------------------

    def events(
        self,
        *,
        tenant: str | None = None,
        since_seq: int = 0,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        query = select(AuditEvent).where(AuditEvent.seq > since_seq).order_by(AuditEvent.seq)
        if tenant is not None:
            query = query.where(AuditEvent.tenant == tenant)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        if limit is not None:
            query = query.limit(limit)
        with self.db.session() as s:
            return [
                {**_row_event(r), "prev_hash": r.prev_hash, "hash": r.hash}
                for r in s.scalars(query)
            ]

    def verify(self, *, upto_seq: int | None = None) -> VerifyResult:
        """Recompute the chain from the start; name the first event that does not fit."""
        prev, count, expected_seq = GENESIS, 0, 1
        with self.db.session() as s:
            anchor = s.get(AuditAnchor, 1)
            if anchor is not None:  # events up to the anchor were compacted away
                prev, expected_seq = anchor.hash, anchor.seq + 1
            for row in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
                if upto_seq is not None and row.seq > upto_seq:
                    break
                if row.seq != expected_seq:
                    return VerifyResult(
                        False, count, prev, expected_seq, f"event {expected_seq} is missing"
                    )
                if row.prev_hash != prev:
                    return VerifyResult(
                        False, count, prev, row.seq, "prev_hash does not link to the previous event"
                    )
                digest = event_hash(prev, _row_event(row))
                if digest != row.hash:
                    return VerifyResult(
                        False, count, prev, row.seq, "contents do not match the stored hash"
                    )
                if not hmac.compare_digest(self._mac(digest), row.mac):
                    return VerifyResult(
                        False,
                        count,
                        prev,
                        row.seq,
                        "HMAC does not match (re-chained without the key?)",
                    )
                prev, count, expected_seq = row.hash, count + 1, expected_seq + 1
        return VerifyResult(True, count, prev, head_seq=expected_seq - 1)

    # --- service-level events -------------------------------------------------------------

    def record_startup(self, role: str, safety: dict[str, Any]) -> None:
        """Each process start is logged with its safety settings; a change from the previous
        start is its own event, so loosening a check never goes unrecorded."""
        with self.db.session() as s:
            last = s.scalar(
                select(AuditEvent)
                .where(AuditEvent.kind == "service.started")
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            )
            before = (last.details or {}).get("safety") if last else None
        if before is not None and before != safety:
            changed = {
                k: {"from": before.get(k), "to": v} for k, v in safety.items() if before.get(k) != v
            }
            self.record("settings.safety_changed", details={"changed": changed})
            log.warning("safety settings changed since the last start: %s", changed)
        self.record("service.started", details={"role": role, "safety": safety})

    def maybe_checkpoint(self, settings: Any) -> Path | None:
        """Write a signed checkpoint into <data_dir>/checkpoints when the last is old enough."""
        folder = Path(settings.data_dir) / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        existing = sorted(folder.glob("checkpoint-*.json"))
        if existing:
            age = datetime.now(UTC).timestamp() - existing[-1].stat().st_mtime
            if age < settings.checkpoint_interval_s:
                return None
        try:
            checkpoint = self.checkpoint()
        except RuntimeError:
            log.exception("audit log does not verify; no checkpoint written")
            return None
        path = folder / f"checkpoint-{checkpoint['count']:012d}.json"
        path.write_text(json.dumps(checkpoint, indent=2))
        return path

    # --- compaction -----------------------------------------------------------------------

    def compact(self, *, older_than_days: int, checkpoint_dir: Path) -> dict[str, Any]:
        """Prune events older than the retention period, only after a signed checkpoint of the
        whole log is written; the chain then starts from an anchor (the last pruned event's
        hash), and the compaction itself is an audited event."""
        checkpoint = self.checkpoint()  # refuses a broken log
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        path = checkpoint_dir / f"checkpoint-{checkpoint['count']:012d}-precompaction.json"
        path.write_text(json.dumps(checkpoint, indent=2))
        cutoff = (datetime.now(UTC) - timedelta(days=older_than_days)).isoformat()
        with self.db.session() as s:
            last = s.scalar(
                select(AuditEvent)
                .where(AuditEvent.at < cutoff)
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            )
            if last is None:
                return {"pruned": 0, "checkpoint": str(path)}
            anchor_seq, anchor_hash = last.seq, last.hash
        dialect = self.db.engine.dialect.name
        with self.db.engine.begin() as conn:
            for name in ("audit_events_no_delete",):
                conn.execute(
                    text(
                        f"DROP TRIGGER {name}"
                        if dialect != "postgresql"
                        else f"DROP TRIGGER {name} ON audit_events"
                    )
                )
            pruned = conn.execute(
                text("DELETE FROM audit_events WHERE seq <= :s"), {"s": anchor_seq}
            ).rowcount
            conn.execute(text("DELETE FROM audit_anchor"))
            conn.execute(
                text("INSERT INTO audit_anchor (id, seq, hash, at) VALUES (1, :s, :h, :a)"),
                {"s": anchor_seq, "h": anchor_hash, "a": datetime.now(UTC).isoformat()},
            )
            if dialect == "postgresql":
                conn.execute(
                    text(
                        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON "
                        "audit_events FOR EACH ROW EXECUTE FUNCTION "
                        "audit_events_append_only()"
                    )
                )
            else:
                conn.execute(
                    text(
                        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON "
                        "audit_events BEGIN SELECT RAISE(ABORT, "
                        "'audit_events is append-only'); END"
                    )
                )
        self.record(
            "audit.compacted",
            details={
                "pruned": pruned,
                "through_seq": anchor_seq,
                "anchor_hash": anchor_hash,
                "older_than_days": older_than_days,
                "checkpoint": checkpoint,
            },
        )
        return {"pruned": pruned, "through_seq": anchor_seq, "checkpoint": str(path)}

    # --- checkpoints ----------------------------------------------------------------------

    def _signing_key(self):  # type: ignore[no-untyped-def]
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        def make() -> bytes:
            return Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )

        pem = _load_or_create_key(self.key_dir / "audit_ed25519.pem", make)
        return serialization.load_pem_private_key(pem, password=None)

    def checkpoint(self) -> dict[str, Any]:
        """A signed statement of the log's current length and head."""
        from cryptography.hazmat.primitives import serialization

        result = self.verify()
        if not result.ok:
            raise RuntimeError(
                f"refusing to checkpoint a broken log: {result.reason} "
                f"(event {result.first_broken_seq})"
            )
        key = self._signing_key()
        body = {
            "count": result.head_seq,
            "head_hash": result.head_hash,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {**body, "public_key": public.hex(), "signature": key.sign(message).hex()}

    def verify_checkpoint(self, checkpoint: dict[str, Any]) -> VerifyResult:
        """The checkpoint's signature holds (with our key) and the log still extends it."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import serialization

        body = {k: checkpoint[k] for k in ("count", "head_hash", "at")}
        message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        ours = self._signing_key().public_key()
        raw = ours.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if checkpoint.get("public_key") != raw.hex():
            return VerifyResult(False, 0, "", None, "checkpoint signed by another key")
        try:
            ours.verify(bytes.fromhex(checkpoint["signature"]), message)
        except (InvalidSignature, ValueError):
            return VerifyResult(False, 0, "", None, "checkpoint signature is invalid")
        head = int(body["count"])  # the sequence number of the last event it vouches for
        with self.db.session() as s:
            anchor = s.get(AuditAnchor, 1)
        if anchor is not None and head < anchor.seq:
            return VerifyResult(
                False,
                0,
                "",
                None,
                f"the checkpoint ends at event {head}, before the compaction "
                f"anchor {anchor.seq}: keep the pre-compaction checkpoint",
            )
        prefix = self.verify(upto_seq=head)
        if not prefix.ok:
            return prefix
        if prefix.head_seq < head:
            return VerifyResult(
                False,
                prefix.count,
                prefix.head_hash,
                prefix.head_seq + 1,
                f"the log ends at event {prefix.head_seq}; the checkpoint "
                f"vouches for {head} (truncated)",
            )
        if prefix.head_hash != body["head_hash"]:
            return VerifyResult(
                False,
                prefix.count,
                prefix.head_hash,
                head,
                "the event at the checkpoint differs from the signed head",
            )
        whole = self.verify()
        return whole
