from helpers import auth


def test_missing_and_malformed_headers_are_401(client) -> None:
    r = client.get("/api/v1/face/tasks/0000000000000000")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "missing_token"
    assert r.headers["www-authenticate"] == "Bearer"
    for header in ("Basic abc", "Bearer", "Bearer not-a-token", "fg_123"):
        r = client.get("/api/v1/face/tasks/0000000000000000", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["error"]["code"] == "malformed_token"


def test_wrong_revoked_and_underscoped_tokens_are_403(client, make_token, services) -> None:
    from facegate.db import queries as q

    token = make_token("process")
    key_id = token.split("_")[1]
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    r = client.get("/api/v1/face/tasks/x", headers=auth(wrong))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "invalid_token")

    unknown = "fg_000000000000_" + token.split("_", 2)[2]
    r = client.get("/api/v1/face/tasks/x", headers=auth(unknown))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "invalid_token")

    reviewer = make_token("review")
    r = client.get("/api/v1/face/tasks/x", headers=auth(reviewer))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "insufficient_scope")

    assert client.get("/api/v1/face/tasks/x", headers=auth(token)).status_code == 404
    with services.db.session() as s:
        assert q.revoke_token(s, key_id=key_id)
    r = client.get("/api/v1/face/tasks/x", headers=auth(token))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "token_revoked")


def test_only_a_hash_of_the_secret_is_stored(make_token, services) -> None:
    token = make_token()
    secret = token.split("_", 2)[2]
    raw = b"".join(p.read_bytes() for p in services.settings.data_dir.glob("facegate.db*"))
    assert secret.encode() not in raw
    assert token.split("_")[1].encode() in raw  # the public key id is the lookup key


def test_health_needs_no_token(client) -> None:
    assert client.get("/health").json() == {"status": "ok"}
