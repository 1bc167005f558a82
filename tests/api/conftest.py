"""
Black-box test harness: starts the real zhilian binary on a temporary
database and a free loopback port (as redis's start_server does), and gives
the tests signed-in HTTP clients. Assertions are made on parsed JSON and on
headers, never on strings grepped out of a body.

Run: ZHILIAN_BIN=/abs/build/zhilian /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api
"""
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import shutil

import pytest
import requests

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("ZHILIAN_BIN") or os.path.join(REPO, "build", "zhilian")
START_TIMEOUT = float(os.environ.get("ZHILIAN_TEST_START_TIMEOUT", "10"))
REQUEST_TIMEOUT = float(os.environ.get("ZHILIAN_TEST_REQUEST_TIMEOUT", "30"))

TOWN = "440881104000"
VILLAGE_A = "440881104201"  # 东坑村, the demo cadre's village
VILLAGE_B = "440881104202"  # 石岭村

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PROBLEM_TYPE = "application/problem+json"

_LOGIN_LINE = re.compile(r"^\s*([a-z]+)\s*:\s*(\S+)\s*/\s*(\S+)\s*$")
_serial = 0


def unique(prefix="u"):
    """A name no other test uses (usernames, token names, idempotency keys)."""
    global _serial
    _serial += 1
    return "%s%d%s" % (prefix, os.getpid() % 10000, _serial) + format(int(time.time() * 1000) % 100000, "05d")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args, check=False, timeout=60):
    """Runs the CLI; returns CompletedProcess with text output."""
    p = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout, cwd=REPO)
    if check and p.returncode != 0:
        raise AssertionError("%s %s exited %d\nstdout: %s\nstderr: %s"
                             % (BIN, " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
    return p


def routes():
    """The route tables from `zhilian routes`."""
    p = run_cli("routes", check=True)
    data = json.loads(p.stdout)
    assert isinstance(data, list) and data, "zhilian routes printed no routes"
    return data


def fill_pattern(pattern, value="1"):
    return re.sub(r"\{[^}/]+\}", value, pattern)


# ---------------------------------------------------------------- clients

class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The client keeps the session cookie itself (see Client._track)."""

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False


def set_cookies(resp):
    """Set-Cookie headers of a response as a list of raw strings."""
    try:
        return resp.raw.headers.getlist("Set-Cookie")
    except AttributeError:
        v = resp.headers.get("Set-Cookie")
        return [v] if v else []


def parse_set_cookie(raw):
    """'zl_session=abc; Path=/; HttpOnly' -> ('zl_session', 'abc', {'path': '/', 'httponly': True})"""
    parts = [p.strip() for p in raw.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name.strip(), value.strip(), attrs


def cookie_is_cleared(attrs, value):
    if value == "":
        return True
    ma = attrs.get("max-age")
    if ma is not None and ma is not True and int(ma) <= 0:
        return True
    exp = attrs.get("expires")
    if isinstance(exp, str):
        from email.utils import parsedate_to_datetime
        import datetime
        try:
            return parsedate_to_datetime(exp) < datetime.datetime.now(datetime.timezone.utc)
        except (TypeError, ValueError):
            return False
    return False


class Client(requests.Session):
    """A requests.Session bound to one server: paths instead of URLs, a
    default timeout, the zl_session cookie tracked by hand (so a Secure flag
    on plain-HTTP loopback does not lose it) and an optional CSRF header."""

    def __init__(self, base):
        super().__init__()
        self.base = base
        self.trust_env = False  # never through a proxy: loopback only
        self.cookies.set_policy(_NoCookies())
        self.session_cookie = None
        self.csrf = None
        self.user = None
        self.hooks["response"].append(self._track)

    def _track(self, resp, *args, **kwargs):
        for raw in set_cookies(resp):
            name, value, attrs = parse_set_cookie(raw)
            if name != "zl_session":
                continue
            if cookie_is_cleared(attrs, value):
                self.set_session_cookie(None)
            else:
                self.set_session_cookie(value)
        return resp

    def set_session_cookie(self, value):
        self.session_cookie = value
        if value is None:
            self.headers.pop("Cookie", None)
        else:
            self.headers["Cookie"] = "zl_session=" + value

    def set_csrf(self, token):
        self.csrf = token
        if token is None:
            self.headers.pop("X-CSRF-Token", None)
        else:
            self.headers["X-CSRF-Token"] = token

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base + url
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)

    def refresh(self):
        """Re-reads the session (user and CSRF token); returns the response."""
        r = self.get("/api/v1/session")
        if r.status_code == 200:
            body = r.json()
            self.user = body.get("user")
            if body.get("csrf_token"):
                self.set_csrf(body["csrf_token"])
        return r


# ---------------------------------------------------------------- server

_demo_template = None


def _demo_copy(db):
    """Puts a demo database (and its key file) at db. The demo town is built
    once per test run and copied: building it takes seconds (minutes under
    the sanitizers), copying a file does not. Returns the demo command's
    CompletedProcess, whose output lists the logins."""
    global _demo_template
    if _demo_template is None:
        d = tempfile.mkdtemp(prefix="zhilian-demo-template-")
        template = os.path.join(d, "demo.db")
        p = run_cli("demo", "--db", template, check=True, timeout=900)
        _demo_template = (template, p)
    template, p = _demo_template
    shutil.copyfile(template, db)
    shutil.copyfile(template + ".key", db + ".key")
    os.chmod(db + ".key", 0o600)
    return p


class Server:
    """One zhilian process on a temporary database."""

    def __init__(self, name="srv", test_clock=True, dirpath=None, demo=True, threads=None,
                 extra_args=None):
        self.extra_args = list(extra_args or [])
        self.dir = dirpath or tempfile.mkdtemp(prefix="zhilian-%s-" % name)
        self.db = os.path.join(self.dir, "z.db")
        self.test_clock = test_clock
        self.threads = threads
        self.proc = None
        self.port = None
        self.logins = {}
        self._sessions = {}
        self._tokens = {}
        self._starts = 0
        if demo and not os.path.exists(self.db):
            p = _demo_copy(self.db)
            for line in (p.stdout + "\n" + p.stderr).splitlines():
                m = _LOGIN_LINE.match(line)
                if m:
                    self.logins[m.group(1)] = (m.group(2), m.group(3))
            for role in ("admin", "leader", "cadre", "viewer"):
                assert role in self.logins, "zhilian demo printed no login for %r:\n%s" % (role, p.stdout)

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, path):
        return self.base + path

    def start(self, port=None):
        assert self.proc is None
        self.port = port or free_port()
        env = dict(os.environ)
        env.pop("ZHILIAN_TEST_CLOCK", None)
        if self.test_clock:
            env["ZHILIAN_TEST_CLOCK"] = "1"
        self._starts += 1
        self.stderr_path = os.path.join(self.dir, "stderr.%d.log" % self._starts)
        args = [BIN, "serve", "--db", self.db, "--listen", "127.0.0.1:%d" % self.port, "--quiet"]
        if self.threads:
            args += ["--threads", str(self.threads)]
        args += self.extra_args
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         env=env, cwd=REPO)
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        probe = requests.Session()
        probe.trust_env = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc, self.proc = self.proc.returncode, None
                raise AssertionError("zhilian serve exited with %s before it was ready:\n%s"
                                     % (rc, self.stderr_tail()))
            try:
                r = probe.get(self.url("/healthz"), timeout=1)
                if r.status_code == 200:
                    return self
                last = r.status_code
            except requests.RequestException as e:
                last = e
            time.sleep(0.05)
        self.kill()
        raise AssertionError("zhilian serve not ready within %.0f s (last: %s):\n%s"
                             % (START_TIMEOUT, last, self.stderr_tail()))

    def stderr_tail(self, n=4000):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL if it does not end. Returns the exit code."""
        if self.proc is None:
            return None
        p, self.proc = self.proc, None
        self._sessions.clear()
        self._tokens.clear()
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def kill(self):
        """SIGKILL: the crash the durability test needs."""
        if self.proc is None:
            return
        p, self.proc = self.proc, None
        self._sessions.clear()
        self._tokens.clear()
        if p.poll() is None:
            p.kill()
        p.wait()

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        """Stops the server and removes its directory. A server that does
        not exit 0 on SIGTERM (a crash, or a leak report under make asan)
        fails the test that owns it; its directory is kept then."""
        rc = self.stop()
        if rc not in (0, None):
            raise AssertionError("zhilian serve exited %s on SIGTERM (files kept in %s):\n%s"
                                 % (rc, self.dir, self.stderr_tail()))
        if os.environ.get("ZHILIAN_TEST_KEEP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients --
    def client(self, **headers):
        c = Client(self.base)
        c.headers.update(headers)
        return c

    def clock(self, advance=None, now=None):
        """POST /api/v1/test/clock; returns the server's new "now" string."""
        body = {"advance": advance} if advance else {"now": now}
        r = self.client().post("/api/v1/test/clock", json=body)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()["now"]

    def login(self, who, password=None, expect=200, **headers):
        """A fresh signed-in Client for a demo role or (username, password).
        On a login rate limit (a long test module) the clock is moved past
        the 5-minute window once and the login retried."""
        if password is None:
            username, password = self.logins[who]
        else:
            username = who
        c = self.client(**headers)
        for attempt in range(2):
            r = c.post("/api/v1/session", json={"username": username, "password": password})
            if r.status_code == 429 and self.test_clock and attempt == 0:
                self.clock(advance="PT5M1S")
                continue
            break
        if expect is not None:
            assert r.status_code == expect, (username, r.status_code, r.text)
        if r.status_code == 200:
            body = r.json()
            c.user = body["user"]
            c.set_csrf(body["csrf_token"])
            assert c.session_cookie, "login set no zl_session cookie: %r" % set_cookies(r)
        c.login_response = r
        return c

    def session(self, role):
        """A cached signed-in Client for a demo role, re-made if it has
        expired (tests that move the clock end idle sessions)."""
        c = self._sessions.get(role)
        if c is not None and c.refresh().status_code == 200:
            return c
        c = self.login(role)
        self._sessions[role] = c
        return c

    def token_client(self, role="admin"):
        """A cached Client that authenticates with an API token (Bearer),
        made by the role's cookie session; no CSRF header needed."""
        c = self._tokens.get(role)
        if c is not None:
            return c
        s = self.session(role)
        r = s.post("/api/v1/tokens", json={"name": unique("t-")})
        assert r.status_code == 201, (r.status_code, r.text)
        c = self.client(Authorization="Bearer " + r.json()["token"])
        c.token_id = r.json()["id"]
        c.user = s.user
        self._tokens[role] = c
        return c

    def user_id(self, role):
        return self.session(role).user["id"]


def start_server(request=None, name="private", **kw):
    """Starts a private server (its own database) for tests that must not
    share state; stopped when the test (or the given request's scope) ends."""
    s = Server(name=name, **kw)
    try:
        s.start()
    except BaseException:
        s.cleanup()
        raise
    if request is not None:
        request.addfinalizer(s.cleanup)
    return s


def login(server, role, password=None):
    """login(server, role) -> a requests.Session (Client) with the cookie
    and the X-CSRF-Token header set."""
    return server.login(role, password)


def token_client(server, role="admin"):
    return server.token_client(role)


# ---------------------------------------------------------------- assertions

def problem(r, status, code=None):
    """Asserts r is an RFC 9457 problem with this status (and code); returns the body."""
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text[:500])
    ct = r.headers.get("Content-Type", "")
    assert ct.split(";")[0].strip().lower() == PROBLEM_TYPE, ct
    body = r.json()
    for key in ("type", "title", "status", "detail", "code", "instance"):
        assert key in body, "problem without %r: %r" % (key, body)
    assert body["status"] == status, body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert body["type"] == "urn:zhilian:problem:" + body["code"], body
    if code is not None:
        if isinstance(code, (tuple, list, set)):
            assert body["code"] in code, (code, body)
        else:
            assert body["code"] == code, body
    return body


def create_user(client, username=None, role="viewer", scope=TOWN, password=None, display_name=None, expect=201):
    username = username or unique("u")
    body = {"username": username, "display_name": display_name or ("测试 " + username),
            "role": role, "scope_code": scope, "password": password or ("Start-Pw-" + username[::-1] + "-9")}
    r = client.post("/api/v1/users", json=body)
    if expect is not None:
        assert r.status_code == expect, (r.status_code, r.text)
    if r.status_code == 201:
        u = r.json()
        u["_password"] = body["password"]
        return u
    return r


def ready_user(server, admin, role="viewer", scope=TOWN, username=None):
    """Creates a user, signs in and does the forced password change.
    Returns (client, user, password)."""
    u = create_user(admin, username=username, role=role, scope=scope)
    c = server.login(u["username"], u["_password"])
    new = "Changed-" + u["username"][::-1] + "-2026"
    r = c.post("/api/v1/session/password", json={"old_password": u["_password"], "new_password": new})
    assert r.status_code == 204, (r.status_code, r.text)
    c.refresh()
    return c, u, new


def list_all(client, path, params=None, limit=100, max_pages=1000):
    """Follows next_cursor to the end; returns all items."""
    items = []
    params = dict(params or {})
    params["limit"] = limit
    for _ in range(max_pages):
        r = client.get(path, params=params)
        assert r.status_code == 200, (r.status_code, r.text)
        body = r.json()
        assert set(body) >= {"items", "next_cursor"}, body
        items += body["items"]
        if body["next_cursor"] is None:
            return items
        params["cursor"] = body["next_cursor"]
    raise AssertionError("pagination did not end")


# ---------------------------------------------------------------- fixtures

def pytest_configure(config):
    if not os.access(BIN, os.X_OK):
        raise pytest.UsageError("ZHILIAN_BIN %r is not an executable (run make first)" % BIN)


@pytest.fixture(scope="module")
def server(request):
    """One server per test module, with the test clock."""
    s = Server(name=request.module.__name__.rsplit(".", 1)[-1])
    try:
        s.start()
        yield s
    finally:
        s.cleanup()


@pytest.fixture
def admin(server):
    """The demo admin's cookie session (cached per server, re-made if expired)."""
    return server.session("admin")


@pytest.fixture(scope="module")
def admin_token(server):
    return server.token_client("admin")


@pytest.fixture
def private_server(request):
    return start_server(request)
