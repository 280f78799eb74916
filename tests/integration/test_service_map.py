# SPDX-License-Identifier: MIT
# test_service_map.py -- the service map against the real Docker engine: a compose-like set
# of containers (an image FROM scratch, never started: no container gets an address, so no
# traffic can reach one) on user-defined internal networks, with compose labels, a shared
# volume, a link, a published port and environment references. The map must hold exactly
# the expected typed edges; a container outside the allowlist appears by name only; the
# variable values never leave the orchestrator; the SVG keeps hostile names as text;
# impact, single points of failure and the changes between two maps are checked.
import json
import os
import secrets
import subprocess
import time
from xml.etree import ElementTree

import pytest

from conftest import build_busybox_image, free_port
from test_mcp_tools import Mcp
from test_worker_image import engine_answers

BUSYBOX = "/bin/busybox"
SM = "/api/service-map/"
SECRET = "pw-" + secrets.token_hex(10)
SVG_TAGS = {"svg", "g", "title", "polygon", "path", "ellipse", "text", "a", "polyline"}


def need_engine():
    if engine_answers() and os.path.exists(BUSYBOX):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: the service map tests need a docker engine and busybox-static")
    pytest.skip("no docker engine answers or no %s (busybox-static)" % BUSYBOX)


def docker(*args, check=True):
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60,
                       check=False)
    if check:
        assert r.returncode == 0, "docker %s: %s" % (" ".join(args), r.stderr)
    return r.stdout.strip()


@pytest.fixture(scope="module")
def busybox_image(tmp_path_factory):
    need_engine()
    tag = build_busybox_image(tmp_path_factory, "cb-svcmap-busybox", ("sleep", "sh", "nc", "cat"))
    yield tag
    docker("rmi", "-f", tag, check=False)


@pytest.fixture
def stack(busybox_image):
    """The compose-like project (created, never started); removed at teardown."""
    p = "cbsm" + secrets.token_hex(4)
    s = {"project": p, "back": p + "_back", "front": p + '_front"<svg onload=alert(1)>',
         "data": p + "_data", "port": str(free_port()), "names": {}}
    for svc in ("db", "api", "web", "worker", "outsider"):
        s["names"][svc] = "%s-%s-1" % (p, svc)
    containers, networks, net_id = [], [], {}
    for net in (s["back"], s["front"]):
        net_id[net] = docker("network", "create", "--internal", net)
        networks.append(net_id[net])
    n = s["names"]

    def create(svc, net, extra, env=None, depends=None, labels=True):
        # By id: the CLI reads --network as CSV, which the hostile name would break.
        cmd = ["create", "--name", n[svc], "--network", net_id[net]]
        if labels:
            cmd += ["--label", "com.docker.compose.project=" + p,
                    "--label", "com.docker.compose.service=" + svc]
        if depends:
            cmd += ["--label", "com.docker.compose.depends_on=" + depends]
        for k, v in (env or {}).items():
            cmd += ["-e", "%s=%s" % (k, v)]
        containers.append(docker(*cmd, *extra, busybox_image, "/bin/sleep", "600"))

    try:
        create("db", s["back"], ["--network-alias", "db", "-v", s["data"] + ":/var/lib/db"],
               env={"POSTGRES_PASSWORD": SECRET})
        create("api", s["back"], ["-p", "127.0.0.1:%s:8080" % s["port"]],
               env={"DATABASE_URL": "postgres://app:%s@db:5432/app" % SECRET,
                    "LOG_LEVEL": "info"},
               depends="db:service_started:false")
        docker("network", "connect", net_id[s["front"]], n["api"])
        create("web", s["front"], ["--link", "%s:backend" % n["api"]],
               env={"API_URL": "http://api:8080/v1", "SESSION_SECRET": SECRET},
               depends="api:service_started:false")
        create("worker", s["back"], ["-v", s["data"] + ":/data:ro"],
               env={"REDIS_ADDR": "cache:6379", "DB_HOST": "db"})
        create("outsider", s["back"], [], env={"DATABASE_URL": "postgres://x:%s@db/x" % SECRET},
               labels=False)
        yield s
    finally:
        if containers:
            docker("rm", "-f", *containers, check=False)
        for net in networks:
            docker("network", "rm", net, check=False)
        docker("volume", "rm", "-f", s["data"], check=False)


def allow(server, names):
    for name in names:
        r = server.post("/api/containers/", json={"container_ref": name})
        assert r.status_code == 201, r.text


def map_run(server):
    run = server.wait_run(server.launch({"tasks": ["service_map"]})["id"], timeout=90)
    assert run["status"] == "success", run
    r = server.get(SM + "latest/")
    assert r.status_code == 200, r.text
    assert SECRET not in r.text
    m = r.json()
    assert m["run_id"] == run["id"]
    return run, m


def mine(m, s):
    """The nodes and edges of the test's project only (the engine may hold others)."""
    ids = {x["id"] for x in m["nodes"] if s["project"] in x["name"]}
    ids.add("port:%s/tcp" % s["port"])
    nodes = {x["id"]: x for x in m["nodes"] if x["id"] in ids}
    edges = {(e["from"], e["to"], e["type"]): e["evidence"] for e in m["edges"]
             if e["from"] in ids or e["to"] in ids}
    return nodes, edges


def expected_edges(s):
    n = s["names"]
    c = {k: "container:" + v for k, v in n.items()}
    back, front = "network:" + s["back"], "network:" + s["front"]
    vol, port = "volume:" + s["data"], "port:%s/tcp" % s["port"]
    return {
        (c["db"], back, "shares_network"), (c["api"], back, "shares_network"),
        (c["api"], front, "shares_network"), (c["web"], front, "shares_network"),
        (c["worker"], back, "shares_network"),
        (c["db"], vol, "shared_volume"), (c["worker"], vol, "shared_volume"),
        (c["api"], port, "publishes"),
        (c["api"], c["db"], "depends_on"), (c["web"], c["api"], "depends_on"),
        (c["api"], c["db"], "env_reference"), (c["web"], c["api"], "env_reference"),
        (c["worker"], c["db"], "env_reference"),
        (c["web"], c["api"], "link"),
    }


def test_map_edges_impact_svg_and_changes(server, stack):
    s, n = stack, stack["names"]
    allow(server, [n[k] for k in ("db", "api", "web", "worker")])
    run, m = map_run(server)
    nodes, edges = mine(m, s)

    # Exactly the expected typed edges, each with its evidence.
    assert set(edges) == expected_edges(s), sorted(set(edges) ^ expected_edges(s))
    c = {k: "container:" + v for k, v in n.items()}
    assert "DATABASE_URL names host db (alias on network %s)" % s["back"] \
        in edges[(c["api"], c["db"], "env_reference")]
    assert "compose service" in edges[(c["web"], c["api"], "env_reference")]
    assert "compose depends_on db (service_started)" in edges[(c["api"], c["db"], "depends_on")]
    assert "link to %s as backend" % n["api"] in edges[(c["web"], c["api"], "link")]
    assert "host port %s to container port 8080/tcp" % s["port"] \
        in edges[(c["api"], "port:%s/tcp" % s["port"], "publishes")]
    assert "(read-only)" in edges[(c["worker"], "volume:" + s["data"], "shared_volume")]

    # Nodes: the allowlisted ones in detail, the outsider by name only.
    assert nodes[c["api"]]["project"] == s["project"] and nodes[c["api"]]["service"] == "api"
    assert nodes[c["api"]]["state"] == "created" and nodes[c["api"]]["is_allowlisted"] is True
    assert nodes[c["worker"]]["unresolved_hosts"] == ["cache"]
    assert nodes[c["outsider"]] == {"id": c["outsider"], "name": n["outsider"],
                                    "kind": "container", "is_allowlisted": False}
    assert nodes["network:" + s["back"]]["internal"] is True
    assert nodes["network:" + s["front"]]["name"] == s["front"]

    # Impact: what breaks when db stops, and when the back network goes.
    r = server.get(SM + "impact/", params={"node": n["db"]})
    assert r.status_code == 200, r.text
    hit = {x["id"]: x["depth"] for x in r.json()["impacted"]}
    assert hit == {c["api"]: 1, c["worker"]: 1, c["web"]: 2, "port:%s/tcp" % s["port"]: 2}
    assert r.json()["count"] == 4 and r.json()["run_id"] == run["id"]
    r = server.get(SM + "impact/", params={"node": "network:" + s["back"]})
    hit = {x["id"] for x in r.json()["impacted"]}
    assert hit == {c["db"], c["api"], c["worker"], c["web"], "port:%s/tcp" % s["port"]}
    spof = {x["id"]: x["impacted_containers"] for x in m["spof"]}
    assert spof["network:" + s["back"]] == 4 and spof[c["db"]] == 3
    assert c["worker"] not in spof and c["web"] not in spof

    # Bad queries: 4xx with a detail, never a crash.
    r = server.get(SM + "impact/", params={"node": "no-such-node-" + s["project"]})
    assert r.status_code == 404 and r.json()["detail"]
    assert server.get(SM + "impact/").status_code == 400
    r = server.get(SM + "impact/", params={"node": "x" * 300})
    assert r.status_code == 400 and "node" in r.json()

    # The SVG keeps the hostile network name as text.
    r = server.get(SM + "latest.svg")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
    assert "sandbox" in r.headers["Content-Security-Policy"]
    svg = r.text
    assert SECRET not in svg and "<svg onload" not in svg
    root = ElementTree.fromstring(svg.encode())
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {n["db"], n["api"], s["front"], s["data"], s["project"]} <= texts
    clusters = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
                if g.get("class") == "cluster project"]
    assert [c.find("{http://www.w3.org/2000/svg}text").text for c in clusters] == [s["project"]]
    for el in root.iter():
        assert el.tag.split("}")[-1] in SVG_TAGS, el.tag
        assert not [a for a in el.attrib if a.lower().startswith("on")], el.attrib
    dot = server.get(SM + "latest.dot")
    assert dot.status_code == 200 and dot.text.startswith("digraph service_map {")
    assert '\\"<svg onload=alert(1)>' in dot.text
    mmd = server.get(SM + "latest.mmd")
    assert mmd.status_code == 200 and mmd.text.startswith("graph LR")
    assert "<svg" not in mmd.text and "#60;svg onload#61;alert#40;1#41;#62;" in mmd.text

    # The report has the section; nothing of the values anywhere.
    rep = server.wait_report(run["id"])
    assert SECRET not in json.dumps(rep) and "Service map" in rep["markdown"]
    job = run["jobs"][0]
    res = server.get("/api/runs/%d/artifacts/jobs/%d/result.json" % (run["id"], job["id"]))
    assert res.status_code == 200 and SECRET not in res.text
    inv = server.get("/api/inventory/latest/")
    assert inv.status_code == 200 and SECRET not in inv.text
    items = {it["name"]: it for it in inv.json()["items"]}
    assert "POSTGRES_PASSWORD" in items[n["db"]]["details"]["env_names"]  # the name only
    assert items[n["db"]]["details"]["env_hosts"] == []
    assert items[n["api"]]["details"]["env_hosts"] == [{"name": "DATABASE_URL", "hosts": ["db"]}]
    # The CLI does not keep the order of -e flags: compare as a set.
    assert sorted(items[n["worker"]]["details"]["env_hosts"], key=lambda x: x["name"]) == [
        {"name": "DB_HOST", "hosts": ["db"]}, {"name": "REDIS_ADDR", "hosts": ["cache"]}]
    assert items[n["outsider"]]["details"] is None
    assert SECRET not in server.instance.stderr_text()
    first_id = m["id"]
    assert m["previous_map_id"] is None

    # Remove worker: the next map says what went away.
    docker("rm", "-f", n["worker"])
    run2, m2 = map_run(server)
    assert m2["previous_map_id"] == first_id
    ch = m2["changes"]
    assert c["worker"] in {x["id"] for x in ch["nodes_removed"]}
    removed = {(e["from"], e["to"], e["type"]) for e in ch["edges_removed"]}
    assert removed == {x for x in expected_edges(s) if x[0] == c["worker"]}
    assert not [x for x in ch["nodes_added"] if s["project"] in x["name"]]
    nodes2, edges2 = mine(m2, s)
    assert set(edges2) == {x for x in expected_edges(s) if x[0] != c["worker"]}

    # No container was ever started: none had an address to send anything to.
    for svc in ("db", "api", "web", "outsider"):
        assert docker("inspect", "-f", "{{.State.Status}}", n[svc]) == "created"


def test_report_section_and_summary(server, stack):
    n = stack["names"]
    allow(server, [n["db"], n["api"]])
    run, m = map_run(server)
    rep = server.wait_report(run["id"])
    text = rep["markdown"]
    assert "### Service map" in text and "#### Single points of failure" in text
    assert "This is the first map." in text and "```mermaid\ngraph LR" in text
    assert "| %s | network | 2 |" % stack["back"].replace("_", "\\_") in text
    smap = run["jobs"][0]["summary"]["map"]
    assert smap["id"] == m["id"] and smap["node_count"] == len(m["nodes"])
    assert smap["edge_types"]["depends_on"] == 1 and smap["edge_types"]["env_reference"] == 1
    assert "map" in json.dumps(rep["json"])


def test_no_map_yet(server):
    for path in ("latest/", "latest.svg", "latest.dot", "latest.mmd"):
        r = server.get(SM + path)
        assert r.status_code == 404, path
        assert r.json()["detail"]
    r = server.get(SM + "impact/", params={"node": "db"})
    assert r.status_code == 404


def test_engine_down_no_map(make_instance, tmp_path):
    sock = tmp_path / "no-docker.sock"
    server = make_instance({"DOCKER_HOST": "unix://%s" % sock}).start()
    run = server.wait_run(server.launch({"tasks": ["service_map"]})["id"], timeout=60)
    assert run["status"] == "success", run
    assert run["jobs"][0]["summary"]["docker"] == "unreachable"
    assert server.get(SM + "latest/").status_code == 404


def test_latest_json_shape(server, stack):
    allow(server, [stack["names"]["api"]])
    _, m = map_run(server)
    for key in ("nodes", "edges", "run_id", "id", "spof", "changes"):
        assert key in m
    for node in m["nodes"]:
        assert {"id", "name", "kind"} <= set(node)
    for e in m["edges"]:
        assert set(e) == {"from", "to", "type", "evidence"}
    json.dumps(m)


def test_mcp_tools_match_the_api(server, stack):
    """service_map and impact_of over /mcp (real HTTP) answer what the REST API answers."""
    n = stack["names"]
    mcp = Mcp(server)
    assert "no service map" in mcp.error_text("service_map")
    allow(server, [n[k] for k in ("db", "api", "web", "worker")])
    _, m = map_run(server)
    sm = mcp.ok("service_map", {"include_mermaid": True})
    assert sm["id"] == m["id"] and sm["nodes"] == m["nodes"] and sm["edges"] == m["edges"]
    assert sm["spof"] == m["spof"] and sm["mermaid"].startswith("graph LR")
    imp = mcp.ok("impact_of", {"node": n["db"]})
    api = server.get(SM + "impact/", params={"node": n["db"]}).json()
    assert imp == api and imp["count"] == 4
    assert "no node" in mcp.error_text("impact_of", {"node": "nope-" + stack["project"]})
    assert mcp.error_text("impact_of", {})
    assert SECRET not in json.dumps(sm)


@pytest.fixture
def talking(busybox_image):
    """Two running containers on an internal network: srv listens on 5432 (nc -ll -e cat),
    cli holds one TCP connection to it. The test itself sends nothing anywhere."""
    p = "cbsmobs" + secrets.token_hex(4)
    net = docker("network", "create", "--internal", p + "_net")
    made = []
    try:
        made.append(docker("run", "-d", "--name", p + "-srv", "--network", net, busybox_image,
                           "/bin/nc", "-ll", "-p", "5432", "-e", "/bin/cat"))
        ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                    made[0])
        made.append(docker("run", "-d", "--name", p + "-cli", "--network", net, busybox_image,
                           "/bin/sh", "-c", "/bin/sleep 600 | /bin/nc %s 5432" % ip))
        made.append(docker("run", "-d", "--name", p + "-idle", "--network", net, busybox_image,
                           "/bin/sleep", "600"))
        deadline = time.monotonic() + 20
        while ":1538 " not in established(made[1]) and time.monotonic() < deadline:
            time.sleep(0.2)
        yield {"srv": p + "-srv", "cli": p + "-cli", "idle": p + "-idle"}
    finally:
        if made:
            docker("rm", "-f", *made, check=False)
        docker("network", "rm", net, check=False)


def established(cid):
    """The ESTABLISHED lines of the container's /proc/<pid>/net/tcp (hex ports)."""
    pid = docker("inspect", "-f", "{{.State.Pid}}", cid)
    try:
        with open("/proc/%s/net/tcp" % pid) as f:
            return "".join(line for line in f if line.split()[3:4] == ["01"])
    except OSError:
        return ""


def test_observed_connection(server, talking):
    """An established TCP connection between two allowlisted running containers is an
    "observed" edge from the client to the server's port; nothing else is observed."""
    t = talking
    assert ":1538 " in established(t["cli"]), "the client did not connect"
    allow(server, [t["srv"], t["cli"], t["idle"]])
    _, m = map_run(server)
    obs = {(e["from"], e["to"]): e["evidence"] for e in m["edges"] if e["type"] == "observed"}
    mine = {k: v for k, v in obs.items() if "cbsmobs" in k[0]}
    assert mine == {("container:" + t["cli"], "container:" + t["srv"]):
                    "established TCP connection to port 5432 (observed)"}, obs
    for node in m["nodes"]:
        assert "172." not in json.dumps(node)  # addresses stay in the orchestrator
    r = server.get(SM + "impact/", params={"node": t["srv"]})
    assert {x["id"] for x in r.json()["impacted"]} == {"container:" + t["cli"]}


def test_directive_can_leave_out_stopped_containers(server, stack):
    """D3's include_stopped: false (the run's directive config) maps running containers only:
    the created-but-never-started project disappears from the map."""
    n = stack["names"]
    allow(server, list(n.values()))
    _, m = map_run(server)  # D3 as seeded: stopped ones too
    assert len([x for x in m["nodes"] if x["kind"] == "container" and
                stack["project"] in x["name"]]) == 5
    d3 = [d for d in server.list_all("/api/directives/") if d["key"] == "D3"][0]
    r = server.patch("/api/directives/%d/" % d3["id"], json={"config": {"include_stopped": False}})
    assert r.status_code == 200, r.text
    run = server.wait_run(server.launch({"tasks": ["service_map"],
                                         "directive_id": r.json()["id"]})["id"], timeout=90)
    assert run["status"] == "success", run
    m = server.get(SM + "latest/").json()
    assert m["run_id"] == run["id"]
    assert not [x for x in m["nodes"] if stack["project"] in x["name"]]
    removed = {x["id"] for x in m["changes"]["nodes_removed"]}
    assert "container:" + n["db"] in removed
