import json
import logging

from facegate.logs import configure_logging, request_id_var


def test_json_logs_carry_the_request_id(capsys) -> None:
    configure_logging(level="INFO", json=True)
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("facegate.test").info("hello", extra={"status": 200})
    finally:
        request_id_var.reset(token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "hello"
    assert record["request_id"] == "req-42"
    assert record["status"] == 200
    logging.getLogger().handlers.clear()


def test_each_request_is_logged_with_its_id(client, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="facegate.access"):
        client.get("/health", headers={"X-Request-ID": "abc-9"})
    records = [r for r in caplog.records if r.name == "facegate.access"]
    assert records and records[-1].status == 200 and records[-1].path == "/health"
