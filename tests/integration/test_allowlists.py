# SPDX-License-Identifier: MIT
# test_allowlists.py -- /api/worker-images/, /api/containers/ and /api/audit/ on a real server.
import pytest

HEX64 = "0123456789abcdef" * 4
IMAGES = "/api/worker-images/"
CONTAINERS = "/api/containers/"


def create_image(server, body, expect=201):
    r = server.post(IMAGES, json=body)
    assert r.status_code == expect, r.text
    return r.json()


def test_image_crud(server):
    d = create_image(server, {"image_name": "nginx", "requires_gpu": True, "min_vram_mb": 1024})
    assert d["image_name"] == "docker.io/library/nginx"
    assert d["image_tag"] == "latest"
    assert d["digest"] is None and d["requires_gpu"] is True and d["is_active"] is True
    assert d["min_vram_mb"] == 1024
    url = IMAGES + "%d/" % d["id"]
    assert server.get(url).json() == d
    listed = server.get(IMAGES).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == d["id"]
    r = server.patch(url, json={"digest": "sha256:" + HEX64, "is_active": False})
    assert r.status_code == 200, r.text
    assert r.json()["digest"] == "sha256:" + HEX64 and r.json()["is_active"] is False
    assert r.json()["image_name"] == "docker.io/library/nginx"
    r = server.put(url, json={"image_name": "ghcr.io/org/app", "image_tag": "v2"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["image_name"], got["image_tag"], got["digest"]) == ("ghcr.io/org/app", "v2", None)
    assert got["is_active"] is True and got["requires_gpu"] is False
    assert server.delete(url).status_code == 204
    assert server.get(url).status_code == 404
    assert server.delete(url).status_code == 404


@pytest.mark.parametrize(
    "other",
    [
        {"image_name": "nginx"},
        {"image_name": "docker.io/library/nginx:latest"},
        {"image_name": "docker.io/library/nginx", "image_tag": "latest"},
        {"image_name": "index.docker.io/library/nginx"},
        {"image_name": "library/nginx", "digest": "sha256:" + HEX64},
    ],
)
def test_image_duplicates(server, other):
    create_image(server, {"image_name": "nginx"})
    r = server.post(IMAGES, json=other)
    assert r.status_code == 409, r.text
    assert r.json()["detail"]
    assert server.get(IMAGES).json()["count"] == 1


@pytest.mark.parametrize(
    "body,field",
    [
        ({"image_name": "NGINX"}, "image_name"),
        ({"image_name": "Docker.io/library/nginx"}, "image_name"),
        ({"image_name": " nginx"}, "image_name"),
        ({"image_name": "nginx\n"}, "image_name"),
        ({"image_name": "ngi\u0001nx"}, "image_name"),
        ({"image_name": "docker.io//nginx"}, "image_name"),
        ({"image_name": "docker.io/../nginx"}, "image_name"),
        ({"image_name": "/nginx"}, "image_name"),
        ({"image_name": "nginx:"}, "image_name"),
        ({"image_name": "nginx@sha256:" + HEX64}, "image_name"),
        ({"image_name": "nginx@@sha256:" + HEX64}, "image_name"),
        ({"image_name": "nginx:1", "image_tag": "2"}, "image_name"),
        ({"image_name": "a" * 300}, "image_name"),
        ({"image_name": ""}, "image_name"),
        ({"image_tag": "latest"}, "image_name"),
        ({"image_name": "nginx", "image_tag": "a b"}, "image_tag"),
        ({"image_name": "nginx", "image_tag": "-x"}, "image_tag"),
        ({"image_name": "nginx", "image_tag": "x" * 129}, "image_tag"),
        ({"image_name": "nginx", "digest": "sha256:abc"}, "digest"),
        ({"image_name": "nginx", "digest": "md5:" + HEX64}, "digest"),
        ({"image_name": "nginx", "digest": "sha256:" + HEX64.upper()}, "digest"),
        ({"image_name": "nginx", "min_vram_mb": -1}, "min_vram_mb"),
        ({"image_name": "nginx", "requires_gpu": "yes"}, "requires_gpu"),
        ({"image_name": "nginx", "memory_mb": 15}, "memory_mb"),
        ({"image_name": "nginx", "memory_mb": 1048577}, "memory_mb"),
        ({"image_name": "nginx", "memory_mb": "64"}, "memory_mb"),
        ({"image_name": "nginx", "cpus": 0.001}, "cpus"),
        ({"image_name": "nginx", "cpus": 257}, "cpus"),
        ({"image_name": "nginx", "cpus": True}, "cpus"),
        ({"image_name": "nginx", "pids_limit": 8}, "pids_limit"),
        ({"image_name": "nginx", "pids_limit": 1.5}, "pids_limit"),
    ],
)
def test_image_bypass_forms_rejected(server, body, field):
    r = server.post(IMAGES, json=body)
    assert r.status_code == 400, r.text
    assert field in r.json(), r.text
    assert server.get(IMAGES).json()["count"] == 0


def test_image_limits(server):
    d = create_image(server, {"image_name": "nginx"})
    assert (d["memory_mb"], d["cpus"], d["pids_limit"]) == (None, None, None)
    url = IMAGES + "%d/" % d["id"]
    r = server.patch(url, json={"memory_mb": 1024, "cpus": 0.25, "pids_limit": 256})
    assert r.status_code == 200, r.text
    assert (r.json()["memory_mb"], r.json()["cpus"], r.json()["pids_limit"]) == (1024, 0.25, 256)
    assert server.get(url).json() == r.json()
    r = server.patch(url, json={"cpus": 2, "memory_mb": None})
    assert r.status_code == 200, r.text
    assert (r.json()["memory_mb"], r.json()["cpus"], r.json()["pids_limit"]) == (None, 2, 256)
    r = server.put(url, json={"image_name": "nginx"})
    assert (r.json()["memory_mb"], r.json()["cpus"], r.json()["pids_limit"]) == (None, None, None)


def test_container_crud(server):
    r = server.post(CONTAINERS, json={"container_ref": "web-1", "note": "frontend"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["container_ref"] == "web-1" and d["is_active"] is True and d["note"] == "frontend"
    url = CONTAINERS + "%d/" % d["id"]
    r = server.post(CONTAINERS, json={"container_ref": "web-1"})
    assert r.status_code == 409 and r.json()["detail"]
    r = server.post(CONTAINERS, json={"container_ref": "0123456789ab"})
    assert r.status_code == 201, r.text
    r = server.patch(url, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert r.json()["container_ref"] == "web-1"
    r = server.put(url, json={"container_ref": "0123456789ab"})
    assert r.status_code == 409, r.text
    assert server.get(CONTAINERS).json()["count"] == 2
    assert server.delete(url).status_code == 204
    assert server.get(url).status_code == 404


@pytest.mark.parametrize("ref", ["", "-web", "web 1", "we/b", "x" * 200, 5])
def test_container_invalid(server, ref):
    r = server.post(CONTAINERS, json={"container_ref": ref})
    assert r.status_code == 400, r.text
    assert "container_ref" in r.json()
    assert server.get(CONTAINERS).json()["count"] == 0


def test_audit_list_and_filters(server):
    r = server.get("/api/audit/")
    assert r.status_code == 200 and r.json()["count"] == 0
    for q in ("?action=launch", "?run=x", "?run=0"):
        assert server.get("/api/audit/" + q).status_code == 400


@pytest.mark.parametrize(
    "path", [IMAGES, IMAGES + "1/", CONTAINERS, CONTAINERS + "1/", "/api/audit/"]
)
def test_allowlists_need_token(server, path):
    assert server.get(path, auth=False).status_code == 401
    r = server.post(IMAGES, auth=False, json={"image_name": "nginx"})
    assert r.status_code == 401
    assert server.get(IMAGES).json()["count"] == 0
