"""
Open311 GeoReport v2 conformance (http://wiki.open311.org/GeoReport_v2):
every endpoint in JSON and XML (parsed with lxml and compared field by
field), every documented error, API keys (admin API and CLI), the rate
limit, personal data never answered, and a round trip through the workflow.
"""
import re

import pytest
import requests
from lxml import etree

from conftest import TOWN, VILLAGE_A, VILLAGE_B, problem, run_cli, unique

MONDAY = "2026-03-02T09:00:00+08:00"
BASE = "/open311/v2/"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
SECRET = {"first_name": "San", "last_name": "Zhang", "phone": "13800138000", "email": "zhang.san@example.com",
          "device_id": "dev-4711"}


def get(server, path, fmt, params=None):
    return requests.get(server.url(BASE + path + "." + fmt), params=params, timeout=30)


def post(server, fmt, data):
    return requests.post(server.url(BASE + "requests." + fmt), data=data, timeout=30)


def xml_of(r, root):
    assert r.headers["Content-Type"].startswith("text/xml"), r.headers["Content-Type"]
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    doc = etree.fromstring(r.content)
    assert doc.tag == root, doc.tag
    return doc


def to_py(el):
    """An element as Python data: a list when the children repeat one tag or
    the tag is a known list, a dict otherwise, text for leaves."""
    kids = list(el)
    if not kids:
        return el.text or ""
    lists = {"services", "service_requests", "attributes", "values", "endpoints", "formats", "errors"}
    if el.tag in lists:
        return [to_py(k) for k in kids]
    return {k.tag: to_py(k) for k in kids}


def norm(v):
    """JSON values as XML text: null -> "", true -> "true", numbers as text."""
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "%.7g" % v
    return str(v)


def same_data(server, path, root, params=None):
    """JSON and XML of one GET carry the same data; returns the JSON."""
    j = get(server, path, "json", params)
    x = get(server, path, "xml", params)
    assert j.status_code == x.status_code, (j.text, x.text)
    assert j.headers["Content-Type"].startswith("application/json")
    data = j.json()
    assert norm(data) == to_py(xml_of(x, root)) or (data == [] and len(xml_of(x, root)) == 0)
    return data


def errors_of(r, status, fmt="json"):
    """The spec's error answer: a list of {code, description}."""
    assert r.status_code == status, (r.status_code, r.text[:400])
    if fmt == "json":
        body = r.json()
        assert isinstance(body, list) and body
        for e in body:
            assert set(e) == {"code", "description"} and e["code"] == status and e["description"]
        return body
    doc = xml_of(r, "errors")
    errs = doc.findall("error")
    assert errs and all(e.findtext("code") == str(status) and e.findtext("description") for e in errs)
    return errs


@pytest.fixture(scope="module")
def key(server):
    admin = server.session("admin")
    r = admin.post("/api/v1/apikeys", json={"name": unique("k-"), "rate_per_minute": 1000})
    assert r.status_code == 201, r.text
    assert r.json()["key"].startswith("o311_")
    return r.json()["key"]


def filing(key, **kw):
    d = {"api_key": key, "service_code": "3", "lat": "21.61", "long": "111.05",
         "description": "村口路灯坏了 + 一周没人修", "media_url": "https://example.org/p.jpg",
         "account_id": "acct-9", "attribute[village]": VILLAGE_A}
    d.update(SECRET)
    d.update(kw)
    return {k: v for k, v in d.items() if v is not None}


def no_personal_data(text):
    for v in list(SECRET.values()) + ["138****8000", "Zhang", "San"]:
        assert v not in text, v


# ---------------------------------------------------------------- discovery and services

def test_discovery_both_formats(server):
    d = same_data(server, "discovery", "discovery")
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(d)
    ep = d["endpoints"][0]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["url"].endswith("/open311/v2/") and ISO.match(ep["changeset"])
    assert set(ep["formats"]) == {"text/xml", "application/json"}


def test_services_one_per_active_category(server):
    admin = server.session("admin")
    cats = admin.get("/api/v1/appeal-categories").json()
    cats = cats["items"] if isinstance(cats, dict) else cats
    active = {str(c["id"]) for c in cats if not c.get("retired")}
    s = same_data(server, "services", "services")
    assert {x["service_code"] for x in s} == active
    for x in s:
        assert set(x) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        assert x["metadata"] is True and x["type"] == "realtime" and x["service_name"]


def test_service_definition_village_attribute(server):
    d = same_data(server, "services/3", "service_definition")
    assert d["service_code"] == "3"
    (a,) = d["attributes"]
    assert a["code"] == "village" and a["datatype"] == "singlevaluelist" and a["variable"] is True
    assert a["required"] is False and a["order"] == 1 and a["description"] and a["datatype_description"]
    keys = [v["key"] for v in a["values"]]
    assert VILLAGE_A in keys and VILLAGE_B in keys and all(v["name"] for v in a["values"])
    assert all(k.startswith(TOWN[:9]) for k in keys)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_and_format_404(server, fmt):
    errors_of(get(server, "services/999", fmt), 404, fmt)
    errors_of(get(server, "services/abc", fmt), 404, fmt)
    errors_of(get(server, "requests/NOPE-NOPE-NO", fmt), 404, fmt)
    errors_of(get(server, "tokens/deadbeef", fmt), 404, fmt)
    errors_of(requests.get(server.url(BASE + "services.html"), timeout=30), 404, "json")


# ---------------------------------------------------------------- POST requests

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_answers_id_notice_account_and_no_pii(server, key, fmt):
    r = post(server, fmt, filing(key))
    assert r.status_code == 200, r.text
    no_personal_data(r.text)
    if fmt == "json":
        (ans,) = r.json()
    else:
        (ans,) = to_py(xml_of(r, "service_requests"))
    assert set(ans) == {"service_request_id", "service_notice", "account_id"}
    assert re.match(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$", ans["service_request_id"])
    assert ans["account_id"] == "acct-9" and ans["service_notice"]
    # the appeal is in the same workflow, channel open311, routed to the village, submitter masked
    admin = server.session("admin")
    items = admin.get("/api/v1/appeals", params={"region": VILLAGE_A, "limit": 50}).json()["items"]
    (ap,) = [a for a in items if a["receipt_code"] == ans["service_request_id"]]
    full = admin.get("/api/v1/appeals/%d" % ap["id"]).json()
    assert full["channel"] == "open311" and full["state"] == "submitted"
    assert full["village"]["code"] == VILLAGE_A
    assert full["description"] == "村口路灯坏了 + 一周没人修"
    assert "13800138000" not in str(full)
    # the token resolves to the request
    tok = r.headers["X-Open311-Token"]
    t = same_data(server, "tokens/" + tok, "service_requests")
    assert t == [{"service_request_id": ans["service_request_id"], "token": tok}]


def test_post_village_defaults_to_nearest_household(server, key):
    admin = server.session("admin")
    hs = admin.get("/api/v1/households", params={"region": VILLAGE_B, "limit": 50}).json()["items"]
    h = next((x for x in hs if x.get("lat") is not None), None)
    if h is None:
        pytest.skip("the demo households carry no coordinates")
    r = post(server, "json", filing(key, **{"attribute[village]": None, "lat": str(h["lat"]), "long": str(h["lng"])}))
    assert r.status_code == 200, r.text
    code = r.json()[0]["service_request_id"]
    items = admin.get("/api/v1/appeals", params={"region": VILLAGE_B, "limit": 50}).json()["items"]
    assert any(a["receipt_code"] == code for a in items)


def test_post_address_only_goes_to_first_village(server, key):
    r = post(server, "json", filing(key, lat=None, long=None, address_string="东坑村委会旁", address_id="A-17",
                                    **{"attribute[village]": None}))
    assert r.status_code == 200, r.text
    code = r.json()[0]["service_request_id"]
    (req,) = same_data(server, "requests/" + code, "service_requests")
    assert req["address"] == "东坑村委会旁" and req["address_id"] == "A-17"
    assert req["lat"] is None and req["long"] is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors(server, key, fmt):
    e = lambda r, s: errors_of(r, s, fmt)  # noqa: E731
    e(post(server, fmt, filing(None)), 403)
    e(post(server, fmt, filing("o311_" + "0" * 48)), 403)
    e(post(server, fmt, filing(key, service_code=None)), 400)
    e(post(server, fmt, filing(key, service_code="999")), 404)
    e(post(server, fmt, filing(key, lat=None, long=None)), 400)
    e(post(server, fmt, filing(key, long=None)), 400)
    e(post(server, fmt, filing(key, lat="95")), 400)
    e(post(server, fmt, filing(key, lat="abc")), 400)
    e(post(server, fmt, filing(key, description="字" * 4001)), 400)
    e(post(server, fmt, filing(key, **{"attribute[village]": "999999999999"})), 400)
    e(post(server, fmt, filing(key, **{"attribute[colour]": "red"})), 400)
    e(post(server, fmt, filing(key, phone="12345")), 400)
    r = post(server, fmt, filing(key, **{"attribute[village]": None}) | {"attribute[village][]": [VILLAGE_A, VILLAGE_B]})
    e(r, 400)


def test_post_form_decoding_and_array_attribute(server, key):
    body = ("api_key=%s&service_code=3&lat=21.6&long=111.0&attribute%%5Bvillage%%5D%%5B%%5D=%s"
            "&description=a+b%%2Bc%%20%%E8%%B7%%AF&jurisdiction_id=%s" % (key, VILLAGE_B, TOWN))
    r = requests.post(server.url(BASE + "requests.json"), data=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 200, r.text
    (req,) = get(server, "requests/" + r.json()[0]["service_request_id"], "json").json()
    assert req["description"] == "a b+c 路"


# ---------------------------------------------------------------- GET requests

def test_get_requests_filters_and_same_data(server, key):
    codes = [post(server, "json", filing(key, service_code=sc)).json()[0]["service_request_id"] for sc in ("3", "1")]
    all_ = same_data(server, "requests", "service_requests")
    assert {c for c in codes} <= {x["service_request_id"] for x in all_}
    for x in all_:
        assert set(x) == set(REQUEST_FIELDS)
        assert x["status"] in ("open", "closed")
        for f in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert x[f] is None or ISO.match(x[f]), x[f]
    no_personal_data(str(all_))
    only = same_data(server, "requests", "service_requests", {"service_code": "1"})
    assert only and all(x["service_code"] == "1" for x in only)
    ids = same_data(server, "requests", "service_requests",
                    {"service_request_id": ",".join(codes), "service_code": "7", "status": "closed"})
    assert sorted(x["service_request_id"] for x in ids) == sorted(codes)
    assert all(x["status"] == "open" for x in get(server, "requests", "json", {"status": "open"}).json())
    assert get(server, "requests", "json", {"status": "closed,open"}).status_code == 200
    old = get(server, "requests", "json", {"start_date": "2020-01-01T00:00:00+08:00",
                                            "end_date": "2020-02-01T00:00:00Z"})
    assert old.status_code == 200 and old.json() == []
    for fmt in ("json", "xml"):
        errors_of(get(server, "requests", fmt, {"start_date": "yesterday"}), 400, fmt)
        errors_of(get(server, "requests", fmt, {"status": "pending"}), 400, fmt)
        errors_of(get(server, "requests", fmt, {"start_date": "2026-03-01T00:00:00Z",
                                                "end_date": "2026-02-01T00:00:00Z"}), 400, fmt)
        errors_of(get(server, "requests", fmt, {"service_code": "x"}), 400, fmt)


def test_round_trip_through_the_workflow(server, key):
    server.clock(now=MONDAY)
    code = post(server, "xml", filing(key)).content
    code = etree.fromstring(code).findtext("request/service_request_id")
    (r0,) = same_data(server, "requests/" + code, "service_requests")
    assert r0["status"] == "open" and r0["status_notes"] is None and r0["service_code"] == "3"
    assert r0["lat"] == 21.61 and r0["long"] == 111.05 and r0["media_url"] == "https://example.org/p.jpg"
    assert r0["expected_datetime"] == "2026-03-02T11:00:00+08:00"
    cadre = server.session("cadre")
    items = cadre.get("/api/v1/appeals", params={"limit": 50}).json()["items"]
    (ap,) = [a for a in items if a["receipt_code"] == code]
    me = cadre.get("/api/v1/session").json()["user"]["id"]
    for action, kw in (("accept", {}), ("assign", {"user_id": me}), ("start", {})):
        r = cadre.post("/api/v1/appeals/%d/actions" % ap["id"], json=dict(action=action, **kw))
        assert r.status_code == 200, (action, r.text)
    (r1,) = get(server, "requests/" + code, "json").json()
    assert r1["status"] == "open" and r1["agency_responsible"] is None or isinstance(r1["agency_responsible"], str)
    server.clock(advance="PT1H")
    cadre = server.session("cadre")
    r = cadre.post("/api/v1/appeals/%d/actions" % ap["id"], json={"action": "resolve", "resolution": "已更换灯泡"})
    assert r.status_code == 200, r.text
    (r2,) = same_data(server, "requests/" + code, "service_requests")
    assert r2["status"] == "closed" and r2["status_notes"] == "已更换灯泡"
    assert r2["updated_datetime"] > r0["updated_datetime"]
    assert code in [x["service_request_id"] for x in get(server, "requests", "json", {"status": "closed"}).json()]


# ---------------------------------------------------------------- keys, rate limit, audit

def test_apikeys_admin_only_and_revoked_key_403(server):
    viewer = server.session("viewer") if "viewer" in server.logins else server.session("cadre")
    problem(viewer.get("/api/v1/apikeys"), 403)
    problem(viewer.post("/api/v1/apikeys", json={"name": "x"}), 403)
    admin = server.session("admin")
    problem(admin.post("/api/v1/apikeys", json={}), 422)
    problem(admin.post("/api/v1/apikeys", json={"name": "x", "rate_per_minute": 0}), 422)
    k = admin.post("/api/v1/apikeys", json={"name": unique("rv-")}).json()
    listed = admin.get("/api/v1/apikeys").json()["items"]
    (row,) = [x for x in listed if x["id"] == k["id"]]
    assert "key" not in row and "key_hash" not in row and k["key"].startswith(row["prefix"])
    assert row["rate_per_minute"] == 60 and row["revoked_at"] is None
    assert post(server, "json", filing(k["key"])).status_code == 200
    assert admin.delete("/api/v1/apikeys/%d" % k["id"]).status_code == 204
    problem(admin.delete("/api/v1/apikeys/%d" % k["id"]), 409)
    problem(admin.delete("/api/v1/apikeys/999999"), 404)
    errors_of(post(server, "json", filing(k["key"])), 403)
    errors_of(post(server, "xml", filing(k["key"])), 403, "xml")
    (row,) = [x for x in admin.get("/api/v1/apikeys").json()["items"] if x["id"] == k["id"]]
    assert row["revoked_at"] and row["last_used_at"]


def test_rate_limit_per_key(server):
    admin = server.session("admin")
    k = admin.post("/api/v1/apikeys", json={"name": unique("rl-"), "rate_per_minute": 2}).json()["key"]
    server.clock(advance="PT2M")
    assert post(server, "json", filing(k)).status_code == 200
    assert post(server, "json", filing(k)).status_code == 200
    errors_of(post(server, "json", filing(k)), 429)
    errors_of(post(server, "xml", filing(k)), 429, "xml")
    server.clock(advance="PT61S")
    assert post(server, "json", filing(k)).status_code == 200


def test_every_request_audited(server, key):
    admin = server.session("admin")
    get(server, "services", "xml")
    r = post(server, "json", filing(key))
    code = r.json()[0]["service_request_id"]
    r = admin.get("/api/v1/audit", params={"action": "open311.request", "limit": 20})
    assert r.status_code == 200, r.text
    text = r.text
    assert "/open311/v2/services.xml" in text and code in text
    no_personal_data(text)


def test_cli_apikey(server, tmp_path):
    db = server.db if hasattr(server, "db") else None
    if not db:
        pytest.skip("the server fixture does not expose its database")
    p = run_cli("apikey", "add", "cli-" + unique(), "--rate", "5", "--db", db, check=True)
    key = p.stdout.strip().splitlines()[-1]
    assert key.startswith("o311_")
    p = run_cli("apikey", "list", "--db", db, check=True)
    assert key[:10] in p.stdout
    kid = [ln.split()[0] for ln in p.stdout.splitlines() if key[:10] in ln][0]
    run_cli("apikey", "revoke", kid, "--db", db, check=True)
    assert run_cli("apikey", "revoke", kid, "--db", db).returncode != 0
    assert run_cli("apikey", "add", "--db", db).returncode != 0
    assert run_cli("apikey", "frobnicate", "--db", db).returncode != 0
    errors_of(post(server, "json", filing(key)), 403)
