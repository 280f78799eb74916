# SPDX-License-Identifier: MIT
# test_directive_versions.py -- GET /api/directives/{id}/versions/ and .../diff/?from=&to=
# on SQLite and PostgreSQL: every version newest first, a line diff of the text with the
# changed fields, 400 with a detail for bad or missing versions, 404 for unknown ones, and
# no rows written by any of it.
import pytest

from browser import XSS


def make(server, name="versions itest", text="one\ntwo\nthree", config=None):
    r = server.post("/api/directives/", json={"name": name, "text": text,
                                              "config": config or {"lookback_hours": 2}})
    assert r.status_code == 201, r.text
    return r.json()


def edit(server, d, **fields):
    r = server.patch("/api/directives/%d/" % d["id"], json=fields)
    assert r.status_code == 200, r.text
    return r.json()


def count_rows(server):
    return sum(1 for _ in server.list_all("/api/directives/"))


def test_versions_newest_first(server):
    d1 = make(server)
    d2 = edit(server, d1, text="one\n2\nthree\nfour")
    d3 = edit(server, d2, name="renamed " + XSS, description="now described")
    for any_id in (d1["id"], d2["id"], d3["id"]):
        r = server.get("/api/directives/%d/versions/" % any_id)
        assert r.status_code == 200, r.text
        v = r.json()
        assert v["key"] == d1["key"] and v["count"] == 3 and v["is_truncated"] is False
        assert [x["version"] for x in v["results"]] == [3, 2, 1]
        assert [x["id"] for x in v["results"]] == [d3["id"], d2["id"], d1["id"]]
        assert v["results"][0]["name"] == "renamed " + XSS
        assert "text" not in v["results"][0]
    # Another directive's versions are not mixed in.
    other = make(server, name="other versions itest")
    v = server.get("/api/directives/%d/versions/" % other["id"]).json()
    assert [x["id"] for x in v["results"]] == [other["id"]]


def test_diff_lines_and_fields(server):
    d1 = make(server, text="keep\nold line\n" + XSS + "\nend")
    d2 = edit(server, d1, text="keep\nnew line\n" + XSS + "\nend\nadded")
    d3 = edit(server, d2, name="second name", config={"lookback_hours": 5})
    r = server.get("/api/directives/%d/diff/?from=1&to=2" % d3["id"])
    assert r.status_code == 200, r.text
    diff = r.json()
    assert diff["key"] == d1["key"]
    assert diff["from"]["version"] == 1 and diff["to"]["version"] == 2
    assert diff["lines"] == [
        {"op": "=", "text": "keep"}, {"op": "-", "text": "old line"},
        {"op": "+", "text": "new line"}, {"op": "=", "text": XSS}, {"op": "=", "text": "end"},
        {"op": "+", "text": "added"}]
    assert diff["added"] == 2 and diff["removed"] == 1 and diff["is_approximate"] is False
    assert diff["changes"] == []
    # Version 2 -> 3 changed the name and the config, not the text.
    diff = server.get("/api/directives/%d/diff/?from=2&to=3" % d1["id"]).json()
    assert all(x["op"] == "=" for x in diff["lines"])
    fields = {c["field"]: c for c in diff["changes"]}
    assert sorted(fields) == ["config", "name"]
    assert fields["name"]["from"] == "versions itest" and fields["name"]["to"] == "second name"
    assert fields["config"]["from"] == {"lookback_hours": 2}
    assert fields["config"]["to"] == {"lookback_hours": 5}
    # Backwards works too: 3 -> 1 undoes the text change.
    diff = server.get("/api/directives/%d/diff/?from=3&to=1" % d1["id"]).json()
    assert {"op": "-", "text": "added"} in diff["lines"]
    assert {"op": "+", "text": "old line"} in diff["lines"]


@pytest.mark.parametrize("query", [
    "", "?from=1", "?to=1", "?from=0&to=1", "?from=-1&to=1", "?from=1&to=x", "?from=1.5&to=1",
    "?from=1&to=99999999999999999999", "?from=&to=1", "?from=" + "1" * 300 + "&to=1"])
def test_diff_bad_params(server, query):
    d = make(server)
    before = count_rows(server)
    r = server.get("/api/directives/%d/diff/%s" % (d["id"], query))
    assert r.status_code == 400, (query, r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    # A bad value has a detail; an over-long one the field error of every capped query key.
    assert body.get("detail") or body.get("from"), body
    assert count_rows(server) == before


def test_unknown_and_deleted(server):
    d = make(server)
    for path in ("/api/directives/987654/versions/", "/api/directives/987654/diff/?from=1&to=1",
                 "/api/directives/%d/diff/?from=1&to=2" % d["id"],
                 "/api/directives/%d/diff/?from=7&to=1" % d["id"]):
        r = server.get(path)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["detail"]
    # Version 1 of another key is not this key's version.
    other = make(server, name="other key itest")
    edit(server, other, text="x")
    r = server.get("/api/directives/%d/diff/?from=1&to=2" % d["id"])
    assert r.status_code == 404 and "version 2" in r.json()["detail"]
    # A deleted directive has no versions any more.
    assert server.delete("/api/directives/%d/" % d["id"]).status_code == 204
    assert server.get("/api/directives/%d/versions/" % d["id"]).status_code == 404
    assert server.get("/api/directives/%d/diff/?from=1&to=1" % d["id"]).status_code == 404


def test_seeded_and_methods(server):
    d1 = next(d for d in server.list_all("/api/directives/") if d["key"] == "D1")
    v = server.get("/api/directives/%d/versions/" % d1["id"]).json()
    assert v["key"] == "D1" and v["results"][0]["version"] >= 1
    diff = server.get("/api/directives/%d/diff/?from=1&to=1" % d1["id"]).json()
    assert diff["added"] == 0 and diff["removed"] == 0 and diff["changes"] == []
    assert "".join(x["op"] for x in diff["lines"]) == "=" * len(diff["lines"])
    # Read-only endpoints; a write is refused and needs the token.
    assert server.post("/api/directives/%d/versions/" % d1["id"], json={}).status_code == 405
    r = server.get("/api/directives/%d/versions/" % d1["id"], auth=False)
    assert r.status_code == 401


def test_diff_of_largest_texts(make_instance):
    # Two texts at the 64 KiB cap of 7,000 different lines each: past the cap of 1,000 changed
    # lines searched exactly, the change is one replacement; the answer is whole.
    server = make_instance({"CYBER_BRAIN_MAX_BODY": str(256 * 1024)}).start()
    a = "\n".join("a%07d" % i for i in range(7000))
    b = "\n".join("b%07d" % i for i in range(7000))
    assert len(a) < 64 * 1024 and len(b) < 64 * 1024
    d = make(server, text=a)
    edit(server, d, text="head\n" + b)
    r = server.get("/api/directives/%d/diff/?from=1&to=2" % d["id"], timeout=60)
    assert r.status_code == 200
    diff = r.json()
    assert diff["is_approximate"] is True
    assert diff["removed"] == 7000 and diff["added"] == 7001
    assert len(diff["lines"]) == 14001
    # A small change in a large text is exact.
    edit(server, d, text="head\n" + b.replace("b0003000", "changed"))
    diff = server.get("/api/directives/%d/diff/?from=2&to=3" % d["id"]).json()
    assert diff["is_approximate"] is False
    assert [x for x in diff["lines"] if x["op"] != "="] == [
        {"op": "-", "text": "b0003000"}, {"op": "+", "text": "changed"}]
    # The most lines a text can hold (64 KiB of newlines) still diff.
    edit(server, d, text="\n" * (64 * 1024))
    r = server.get("/api/directives/%d/diff/?from=3&to=4" % d["id"], timeout=60)
    assert r.status_code == 200, r.text
    diff = r.json()
    assert diff["added"] + diff["removed"] > 1000 and diff["is_approximate"] is True
    assert sum(1 for x in diff["lines"] if x["op"] != "-") == 64 * 1024 + 1
