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
    from facegate.db import make_database
    from facegate.db import queries as q
    from facegate.tokens import SCOPES, generate_token, secret_digest

    settings = _settings()
    db = make_database(str(settings.database_url))
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
    print(f"revoked {args.key_id}")
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

    p = sub.add_parser("cleanup", help="requeue lost tasks, delete expired outputs; print a report")
    p.set_defaults(func=cmd_cleanup)

    p = sub.add_parser("swap", help="swap a face locally through the same pipeline (no server)")
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--faces", default="largest", help="largest | all | index")
    p.add_argument("--index", type=int)
    p.add_argument("--shape", type=float, default=0.5)
    p.set_defaults(func=cmd_swap)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except FaceGateError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
