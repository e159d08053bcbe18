"""``facegate``: serve, worker, tokens, cleanup, swap. Reports errors; library code raises them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from facegate.errors import FaceGateError
from facegate.settings import Settings

__all__ = ["main"]


def _settings() -> Settings:
    return Settings()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from facegate.api import create_app
    from facegate.logs import configure_logging

    settings = _settings()
    if args.host:
        settings.host = args.host
    if args.port is not None:
        settings.port = args.port
    configure_logging(level=settings.log_level, json=settings.log_json)
    app = create_app(settings)
    print(f"FaceGate {app.version} listening on http://{settings.host}:{settings.port}", flush=True)
    print(f"  data folder: {settings.data_dir.resolve()}", flush=True)
    print(f"  database:    {settings.database_url}", flush=True)
    print(f"  queue:       {settings.queue_url}", flush=True)
    print(
        f"  engine:      {settings.engine} (in-process worker: {settings.in_process_worker})",
        flush=True,
    )
    print("  create a token: facegate tokens create --name NAME --scopes process", flush=True)
    print(f"  API docs:    http://{settings.host}:{settings.port}/docs", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from facegate.logs import configure_logging
    from facegate.service import build_services

    settings = _settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    services = build_services(settings)
    services.record_startup("worker")
    worker = services.attach_worker()
    worker.setup()
    services.maintain()
    consumer = services.queue.make_consumer(args.threads or settings.worker_threads)
    print(
        f"FaceGate worker ready (engine {worker.processor.name}, queue {settings.queue_url})",
        flush=True,
    )
    consumer.run()
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from facegate.audit import Auditor
    from facegate.db import make_database
    from facegate.db import queries as q
    from facegate.tokens import SCOPES, generate_token, secret_digest

    settings = _settings()
    db = make_database(str(settings.database_url))
    auditor = Auditor(db, settings.key_dir, mirror=settings.audit_mirror)
    if args.tokens_cmd == "create":
        scopes = sorted({s.strip() for s in args.scopes.split(",") if s.strip()})
        unknown = set(scopes) - SCOPES
        if unknown or not scopes:
            print(f"error: scopes must be among {', '.join(sorted(SCOPES))}", file=sys.stderr)
            return 2
        new = generate_token()
        with db.session() as s:
            q.create_token(
                s,
                key_id=new.key_id,
                secret_sha256=secret_digest(new.secret),
                name=args.name,
                tenant=args.tenant,
                scopes=scopes,
            )
        auditor.record(
            "token.created",
            actor="cli",
            tenant=args.tenant,
            objects={"key_id": new.key_id},
            details={"name": args.name, "scopes": scopes},
        )
        print(new.token)
        print(
            f"# key id {new.key_id}, tenant {args.tenant}, scopes {','.join(scopes)}. "
            "Shown once; only its hash is stored.",
            file=sys.stderr,
        )
        return 0
    if args.tokens_cmd == "list":
        with db.session() as s:
            rows = [
                {
                    "key_id": t.key_id,
                    "name": t.name,
                    "tenant": t.tenant,
                    "scopes": t.scopes,
                    "created_at": str(t.created_at),
                    "revoked": t.revoked_at is not None,
                }
                for t in q.list_tokens(s)
            ]
        print(json.dumps(rows, indent=2))
        return 0
    with db.session() as s:
        done = q.revoke_token(s, key_id=args.key_id)
    if not done:
        print(f"error: no active token with key id {args.key_id}", file=sys.stderr)
        return 1
    auditor.record("token.revoked", actor="cli", objects={"key_id": args.key_id})
    print(f"revoked {args.key_id}")
    return 0


def cmd_subjects(args: argparse.Namespace) -> int:
    import hashlib
    from datetime import datetime

    from facegate import registry
    from facegate.service import build_services

    services = build_services(_settings())
    tenant = args.tenant
    if args.subjects_cmd == "enroll":
        settings = services.settings
        from facegate.images import decode_image

        datas = [Path(p).read_bytes() for p in args.photo]
        photos = [
            decode_image(
                d,
                allowed_formats=settings.allowed_formats,
                max_pixels=settings.max_pixels,
                field=f"photo {i}",
            )
            for i, d in enumerate(datas)
        ]
        evidence = args.evidence_sha256 or ""
        if args.evidence:
            evidence = hashlib.sha256(Path(args.evidence).read_bytes()).hexdigest()
        fields = registry.ConsentFields(
            scope=frozenset(x.strip() for x in args.scope.split(",") if x.strip()),
            purpose=args.purpose,
            jurisdiction=args.jurisdiction,
            collection_method=args.collection_method,
            evidence_sha256=evidence,
            notice_version=args.notice_version,
            expires_at=datetime.fromisoformat(args.expires_at) if args.expires_at else None,
            is_minor=args.minor,
            guardian_consent=args.guardian_consent,
        )
        subject = registry.enrol_subject(
            settings=settings,
            db=services.db,
            store=services.store,
            biometrics=services.biometrics,
            tenant=tenant,
            actor="cli",
            display_name=args.name,
            photos=photos,
            photo_sha256s=[hashlib.sha256(d).hexdigest() for d in datas],
            consent=fields,
        )
        view = registry.subject_view(services.db, tenant=tenant, subject_id=subject.id)
        if services.auditor is not None:
            services.auditor.record(
                "subject.enrolled",
                actor="cli",
                tenant=tenant,
                objects={"subject_id": subject.id},
                details={"evidence_sha256": evidence, "scope": sorted(fields.scope)},
            )
    elif args.subjects_cmd == "list":
        view = registry.list_subjects(services.db, tenant=tenant, page=args.page, page_size=50)
    elif args.subjects_cmd == "show":
        view = registry.subject_view(services.db, tenant=tenant, subject_id=args.subject_id)
    else:
        view = registry.withdraw_subject(
            db=services.db,
            store=services.store,
            tenant=tenant,
            subject_id=args.subject_id,
            channel=args.channel,
        )
        if services.auditor is not None:
            services.auditor.record(
                "subject.withdrawn",
                actor="cli",
                tenant=tenant,
                objects={"subject_id": args.subject_id},
                details={"channel": args.channel},
            )
        for canceled in (view.get("tombstone") or {}).get("canceled_tasks", []):
            services.task_finished(canceled)
    print(json.dumps(view, indent=2, default=str))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from facegate.audit import Auditor
    from facegate.db import make_database

    settings = _settings()
    auditor = Auditor(make_database(str(settings.database_url)), settings.key_dir)
    if args.audit_cmd == "verify":
        if args.checkpoint:
            result = auditor.verify_checkpoint(json.loads(Path(args.checkpoint).read_text()))
        else:
            result = auditor.verify()
        print(json.dumps(result.to_dict(), indent=2))
        return 0 if result.ok else 1
    if args.audit_cmd == "compact":
        days = max(args.older_than_days, settings.audit_retention_days)
        print(
            json.dumps(
                auditor.compact(
                    older_than_days=days, checkpoint_dir=settings.data_dir / "checkpoints"
                ),
                indent=2,
            )
        )
        return 0
    if args.audit_cmd == "export":
        for event in auditor.events(since=args.since):
            print(json.dumps(event, sort_keys=True, default=str))
        return 0
    checkpoint = auditor.checkpoint()
    text = json.dumps(checkpoint, indent=2)
    if args.output:
        Path(args.output).write_text(text)
    print(text)
    return 0


def cmd_webhooks(args: argparse.Namespace) -> int:
    from facegate.webhooks import tenant_secret

    print(tenant_secret(_settings(), args.tenant))
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from facegate.provenance.keys import init_c2pa_keys

    settings = _settings()
    folder = settings.c2pa_dir or settings.key_dir / "c2pa"
    if (folder / "signer.key").exists() and not args.force:
        print(f"error: {folder}/signer.key exists; use --force to replace it", file=sys.stderr)
        return 1
    paths = init_c2pa_keys(folder, organisation=args.organisation)
    for name, path in paths.items():
        print(f"{name}: {path}")
    print("Outputs are now C2PA-signed. Give root.pem to whoever verifies them.")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from facegate.db import make_database
    from facegate.provenance.verify import verify_file

    settings = _settings()
    db = make_database(str(settings.database_url)) if settings.data_dir.exists() else None
    report = verify_file(Path(args.file).read_bytes(), settings=settings, db=db, tenant=args.tenant)
    print(json.dumps(report, indent=2))
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    from facegate.service import build_services

    services = build_services(_settings())
    report = services.maintain()
    print(json.dumps(report.to_dict(), indent=2))
    return 0


def cmd_swap(args: argparse.Namespace) -> int:
    from facegate.local import swap_files

    settings = _settings()
    report = swap_files(
        settings,
        Path(args.source),
        Path(args.target),
        Path(args.output),
        subject_id=args.subject,
        tenant=args.tenant,
        face_selection=args.faces,
        face_index=args.index,
        shape=args.shape,
    )
    print(json.dumps(report, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facegate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the HTTP API with an in-process worker")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="consume the task queue (no HTTP)")
    p.add_argument("--threads", type=int)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("tokens", help="create, list and revoke API tokens")
    tsub = p.add_subparsers(dest="tokens_cmd", required=True)
    c = tsub.add_parser("create")
    c.add_argument("--name", required=True)
    c.add_argument(
        "--scopes", default="process", help="comma list of process,subjects,review,admin"
    )
    c.add_argument("--tenant", default="default")
    tsub.add_parser("list")
    r = tsub.add_parser("revoke")
    r.add_argument("key_id")
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("subjects", help="enrol people with consent, list, show, withdraw")
    ssub = p.add_subparsers(dest="subjects_cmd", required=True)
    e = ssub.add_parser("enroll", help="enrol a person with 1-5 photos and their consent")
    e.add_argument("--name", required=True, help="name or pseudonym")
    e.add_argument("--photo", action="append", required=True, help="repeat for 1-5 photos")
    e.add_argument("--scope", default="swap_source", help="swap_source,swap_target")
    e.add_argument("--purpose", required=True)
    e.add_argument("--jurisdiction", required=True)
    e.add_argument("--collection-method", default="signed_form")
    e.add_argument("--notice-version", required=True)
    e.add_argument("--evidence", help="the signed consent document (only its hash is kept)")
    e.add_argument("--evidence-sha256")
    e.add_argument("--expires-at", help="ISO 8601; default and maximum 3 years")
    e.add_argument("--minor", action="store_true")
    e.add_argument("--guardian-consent", action="store_true")
    lst = ssub.add_parser("list")
    lst.add_argument("--page", type=int, default=1)
    sh = ssub.add_parser("show")
    sh.add_argument("subject_id")
    w = ssub.add_parser("withdraw")
    w.add_argument("subject_id")
    w.add_argument("--channel", default="operator")
    for sp in (e, lst, sh, w):
        sp.add_argument("--tenant", default="default")
    p.set_defaults(func=cmd_subjects)

    p = sub.add_parser("audit", help="verify, export and checkpoint the audit log")
    asub = p.add_subparsers(dest="audit_cmd", required=True)
    v = asub.add_parser("verify", help="recompute the chain; exit 1 naming the first bad event")
    v.add_argument("--checkpoint", help="also prove the log still extends this checkpoint")
    x = asub.add_parser("export", help="events as JSON lines")
    x.add_argument("--since", help="ISO 8601 time, e.g. 2026-11-01")
    cp = asub.add_parser(
        "compact",
        help="prune events past the retention period "
        "(after a signed checkpoint; never younger than "
        "FACEGATE_AUDIT_RETENTION_DAYS)",
    )
    cp.add_argument("--older-than-days", type=int, default=0)
    c = asub.add_parser("checkpoint", help="print (and save) a signed checkpoint")
    c.add_argument("-o", "--output")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("webhooks", help="the signing secret of a tenant's webhooks")
    wsub = p.add_subparsers(dest="webhooks_cmd", required=True)
    ws = wsub.add_parser("secret", help="print the tenant's HMAC secret")
    ws.add_argument("--tenant", default="default")
    p.set_defaults(func=cmd_webhooks)

    p = sub.add_parser("keys", help="create the C2PA signing key and certificate chain")
    ksub = p.add_subparsers(dest="keys_cmd", required=True)
    ki = ksub.add_parser("init")
    ki.add_argument("--organisation", default="FaceGate operator")
    ki.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("verify", help="report the provenance marks of an image file")
    p.add_argument("file")
    p.add_argument("--tenant", default="default")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("cleanup", help="requeue lost tasks, delete expired outputs; print a report")
    p.set_defaults(func=cmd_cleanup)

    p = sub.add_parser("swap", help="swap a face locally through the same pipeline (no server)")
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--faces", default="largest", help="largest | all | index")
    p.add_argument("--index", type=int)
    p.add_argument("--shape", type=float, default=0.5)
    p.add_argument("--subject", help="enrolled subject id of the source person (consent)")
    p.add_argument("--tenant", default="default")
    p.set_defaults(func=cmd_swap)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except FaceGateError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
