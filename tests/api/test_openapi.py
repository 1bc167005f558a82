"""docs/openapi.yaml and the route tables describe the same API: every route
is documented with its permission, and nothing documented is missing."""
import json
import os
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("ZHILIAN_BIN", os.path.join(ROOT, "build", "zhilian"))


def load_spec():
    with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def routes():
    out = subprocess.run([BIN, "routes"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def expected_permission(route):
    if route["public"]:
        return "public"
    if route["self"] and not route["perm"]:
        return "self"
    return route["perm"] or "signed-in"


def test_every_route_is_documented_with_its_permission():
    spec = load_spec()
    for r in routes():
        path = spec["paths"].get(r["pattern"])
        assert path is not None, f"{r['pattern']} missing from docs/openapi.yaml"
        op = path.get(r["method"].lower())
        assert op is not None, f"{r['method']} {r['pattern']} missing from docs/openapi.yaml"
        assert op.get("x-permission") == expected_permission(r), (r, op.get("x-permission"))


def test_nothing_documented_is_missing_from_the_routes():
    table = {(r["method"].lower(), r["pattern"]) for r in routes()}
    for path, ops in load_spec()["paths"].items():
        for method in ops:
            if method in ("get", "post", "put", "patch", "delete"):
                assert (method, path) in table, f"{method.upper()} {path} documented but not routed"


def test_served_document_is_the_file(server):
    r = server.client().get("/api/v1/openapi.yaml")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(r.text) == load_spec()
