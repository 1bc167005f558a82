"""HTTP-level contract: health, metrics, problem+json shape, language,
security headers, request ids, 404/405/400/413/415."""
import re

import pytest

from conftest import TOWN, problem, start_server, unique

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
MIB = 1024 * 1024


def assert_security_headers(r):
    h = r.headers
    where = "%s %s -> %d" % (r.request.method, r.request.path_url, r.status_code)
    csp = h.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy on " + where
    directives = {}
    for d in csp.split(";"):
        words = d.split()
        if words:
            directives[words[0].lower()] = words[1:]
    assert "'self'" in directives.get("default-src", []), (where, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    script = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (where, csp)
    assert h.get("X-Content-Type-Options", "").lower() == "nosniff", where
    assert h.get("Referrer-Policy", "").lower() == "no-referrer", where
    assert h.get("X-Frame-Options", "").upper() == "DENY", where
    assert h.get("X-Request-Id"), "no X-Request-Id on " + where


# ---------------------------------------------------------------- health, metrics

def test_healthz(server):
    r = server.client().get("/healthz")
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    body = r.json()
    assert body["status"] == "ok" and body["database"] == "ok", body
    assert_security_headers(r)


def parse_metrics(text):
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?\s*$', line)
        assert m, "not a Prometheus sample line: %r" % line
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def metric(samples, name, **labels):
    return sum(v for n, l, v in samples
               if n == name and all(l.get(k) == str(x) for k, x in labels.items()))


def test_metrics(server, admin_token):
    c = server.client()
    before = parse_metrics(c.get("/metrics").text)
    for _ in range(3):
        assert c.get("/healthz").status_code == 200
    assert admin_token.get("/api/v1/users/1").status_code == 200
    c.get("/nope-" + unique("m"))
    r = c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "text/plain", r.headers["Content-Type"]
    assert_security_headers(r)
    after = parse_metrics(r.text)
    n0 = metric(before, "zhilian_http_requests_total", route="/healthz", method="GET", status="200")
    n1 = metric(after, "zhilian_http_requests_total", route="/healthz", method="GET", status="200")
    assert n1 >= n0 + 3, (n0, n1)
    # a route is labelled by its pattern, not by the path (bounded cardinality)
    assert metric(after, "zhilian_http_requests_total", route="/api/v1/users/{id}", method="GET",
                  status="200") >= 1
    routes = {l.get("route") for n, l, v in after if n == "zhilian_http_requests_total"}
    assert not any(r and ("/users/1" in r or "nope-" in r) for r in routes), routes
    names = {n for n, l, v in after}
    assert "zhilian_http_request_duration_seconds_bucket" in names
    assert "zhilian_http_request_duration_seconds_count" in names
    assert "zhilian_http_request_duration_seconds_sum" in names
    assert any(n == "zhilian_http_request_duration_seconds_bucket" and l.get("le") == "+Inf"
               for n, l, v in after)
    assert "zhilian_db_time_seconds_total" in names
    assert "zhilian_http_open_connections" in names


def test_openapi_published(server):
    r = server.client().get("/api/v1/openapi.yaml")
    assert r.status_code == 200
    assert "yaml" in r.headers.get("Content-Type", ""), r.headers.get("Content-Type")
    assert_security_headers(r)


# ---------------------------------------------------------------- problem+json

def test_problem_shape_not_found(server, admin_token):
    r = admin_token.get("/api/v1/users/987654321")
    body = problem(r, 404, "not_found")
    assert body["instance"] == "/api/v1/users/987654321"
    assert body["request_id"] == r.headers["X-Request-Id"]
    assert "errors" not in body or body["errors"] in (None, [])
    assert_security_headers(r)


def test_problem_shape_unauthenticated(server):
    r = server.client().get("/api/v1/users")
    body = problem(r, 401, "auth.required")
    assert body["instance"] == "/api/v1/users"
    assert body["request_id"] == r.headers["X-Request-Id"]


def test_problem_validation_errors(server, admin_token):
    r = admin_token.post("/api/v1/users", json={})
    body = problem(r, 422)
    assert isinstance(body["errors"], list) and body["errors"], body
    for e in body["errors"]:
        assert isinstance(e.get("field"), str) and e["field"], e
        assert isinstance(e.get("message"), str) and e["message"], e
    fields = {e["field"] for e in body["errors"]}
    assert fields >= {"username", "role", "password"}, fields


def test_bad_json(server, admin_token):
    r = admin_token.post("/api/v1/users", data=b'{"username": ', headers={"Content-Type": "application/json"})
    problem(r, 400, "request.bad_json")
    r = admin_token.post("/api/v1/users", data=b'["a"]', headers={"Content-Type": "application/json"})
    problem(r, 400, "request.bad_json")


# ---------------------------------------------------------------- language

def test_chinese_by_default(server):
    c = server.client()
    body = problem(c.get("/api/v1/users"), 401, "auth.required")
    assert CJK.search(body["title"]), body
    body = problem(c.get("/api/v1/users", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}), 401)
    assert CJK.search(body["title"]), body


@pytest.mark.parametrize("lang", ["en", "en-US", "en-GB,en;q=0.9", "EN"])
def test_english_with_accept_language(server, lang):
    r = server.client().get("/api/v1/users", headers={"Accept-Language": lang})
    body = problem(r, 401, "auth.required")
    assert not CJK.search(body["title"]) and re.search(r"[a-z]", body["title"]), body
    assert not CJK.search(body["detail"]), body


def test_validation_messages_follow_language(server, admin_token):
    zh = problem(admin_token.post("/api/v1/users", json={}), 422)
    en = problem(admin_token.post("/api/v1/users", json={}, headers={"Accept-Language": "en"}), 422)
    assert all(CJK.search(e["message"]) for e in zh["errors"]), zh
    assert not any(CJK.search(e["message"]) for e in en["errors"]), en
    assert zh["code"] == en["code"]
    assert {e["field"] for e in zh["errors"]} == {e["field"] for e in en["errors"]}


# ---------------------------------------------------------------- headers on everything

def test_security_headers_everywhere(server, admin_token):
    c = server.client()
    responses = [
        c.get("/healthz"),
        c.get("/metrics"),
        c.get("/api/v1/openapi.yaml"),
        c.get("/"),                                   # web shell (static file)
        c.get("/nope"),                               # 404
        c.get("/api/v1/users"),                       # 401
        c.post("/api/v1/session", json={"username": "nobody-" + unique(), "password": "wrong-password-1"}),
        admin_token.delete("/api/v1/users"),          # 405
        admin_token.post("/api/v1/users", data="x", headers={"Content-Type": "text/plain"}),  # 415
        admin_token.post("/api/v1/users", json={}),  # 422
        admin_token.get("/api/v1/session"),           # 200 JSON
    ]
    for r in responses:
        assert_security_headers(r)


def test_static_files(server):
    c = server.client()
    r = c.get("/")
    assert r.status_code == 200, r.status_code
    assert r.headers["Content-Type"].split(";")[0] == "text/html"
    assert_security_headers(r)
    # the pages the shell links to are served with their types
    for ref in re.findall(r'(?:src|href)="(/[^"?#]+\.(?:js|css))', r.text)[:5]:
        a = c.get(ref)
        assert a.status_code == 200, ref
        want = "text/css" if ref.endswith(".css") else "javascript"
        assert want in a.headers["Content-Type"], (ref, a.headers["Content-Type"])
        assert_security_headers(a)
    # no escaping the web root
    for evil in ("/../Makefile", "/%2e%2e/Makefile", "/..%2fMakefile", "/web/../Makefile"):
        e = c.get(evil)
        assert e.status_code in (400, 404), (evil, e.status_code)
        assert b"CFLAGS" not in e.content, evil


def test_request_ids_unique(server, admin_token):
    c = server.client()
    ids = []
    for r in (c.get("/healthz"), c.get("/healthz"), c.get("/nope"), c.get("/api/v1/users"),
              admin_token.get("/api/v1/session"), admin_token.get("/api/v1/users/987654321"),
              admin_token.delete("/api/v1/users"), c.get("/metrics")):
        rid = r.headers.get("X-Request-Id")
        assert rid, (r.request.path_url, r.status_code)
        ids.append(rid)
    assert len(set(ids)) == len(ids), ids


# ---------------------------------------------------------------- 404, 405, 413, 415

@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v1/users/1/nope", "/api/v2/users"])
def test_unknown_path_404(server, admin_token, path):
    body = problem(admin_token.get(path), 404, "not_found")
    assert body["instance"] == path
    problem(server.client().get(path), 404, "not_found")


def allow_set(r):
    return {m.strip().upper() for m in r.headers.get("Allow", "").split(",") if m.strip()}


def test_method_not_allowed(server, admin_token):
    r = admin_token.delete("/api/v1/users")
    problem(r, 405, "method_not_allowed")
    allow = allow_set(r)
    assert {"GET", "POST"} <= allow and "DELETE" not in allow, r.headers.get("Allow")

    r = admin_token.put("/healthz", json={})
    problem(r, 405, "method_not_allowed")
    assert "GET" in allow_set(r) and "PUT" not in allow_set(r), r.headers.get("Allow")

    r = admin_token.post("/api/v1/users/1", json={})
    problem(r, 405, "method_not_allowed")
    assert {"GET", "PATCH"} <= allow_set(r), r.headers.get("Allow")


def test_body_over_1mib_413(server, admin_token):
    pad = "a" * MIB
    r = admin_token.post("/api/v1/users", json={"username": "big", "pad": pad})
    problem(r, 413, "request.too_large")
    # the server is still fine afterwards
    assert server.client().get("/healthz").status_code == 200


def test_uploads_may_exceed_1mib_but_have_their_own_limit(request):
    """A file import is an upload: it may be larger than 1 MiB (up to
    --max-upload), while the JSON routes keep their 1 MiB limit."""
    s = start_server(request, name="upload", extra_args=["--max-upload", str(3 * MIB)])
    admin = s.token_client("admin")
    csv = ("姓名,身份证号\n" + "张三,440881199001011234\n" * (2 * MIB // 30)).encode("utf-8")
    assert MIB < len(csv) < 3 * MIB
    r = admin.post("/api/v1/households/import", params={"dry_run": 1}, data=csv,
                   headers={"Content-Type": "text/csv"})
    assert r.status_code != 413, r.text
    assert r.status_code == 422, r.text  # read, then refused for its missing columns
    r = admin.post("/api/v1/households/import", params={"dry_run": 1}, data=csv + csv,
                   headers={"Content-Type": "text/csv"})
    problem(r, 413, "request.too_large")
    r = admin.post("/api/v1/users", data=csv, headers={"Content-Type": "application/json"})
    problem(r, 413, "request.too_large")


def test_body_of_exactly_1mib_is_accepted(server, admin_token):
    head = b'{"username": "exact", "pad": "'
    tail = b'"}'
    body = head + b"a" * (MIB - len(head) - len(tail)) + tail
    assert len(body) == MIB
    r = admin_token.post("/api/v1/users", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code != 413 and r.status_code < 500, (r.status_code, r.text[:300])


def test_non_json_415(server, admin_token):
    r = admin_token.post("/api/v1/users", data='{"username": "x"}', headers={"Content-Type": "text/plain"})
    problem(r, 415, "request.media_type")
    r = admin_token.post("/api/v1/users", data={"username": "x"})  # form-encoded
    problem(r, 415, "request.media_type")
    r = server.client().post("/api/v1/session", data={"username": "admin", "password": "x"})
    problem(r, 415, "request.media_type")


def test_json_with_charset_is_json(server, admin_token):
    name = unique("cs")
    import json
    body = json.dumps({"username": name, "display_name": "字符集", "role": "viewer", "scope_code": TOWN,
                       "password": "Charset-Pass-2026"}).encode()
    r = admin_token.post("/api/v1/users", data=body,
                         headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, (r.status_code, r.text)
    assert r.json()["display_name"] == "字符集"
