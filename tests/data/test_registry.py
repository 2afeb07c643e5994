"""Dataset registry: manifest records, data root, and the download-verify path (offline)."""
from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from gcngan.config import DataConfig
from gcngan.data import load_snapshots
from gcngan.data import registry
from gcngan.data.registry import (DatasetSpec, DownloadError, data_root, default_manifest, fetch,
                                  get_spec, load_manifest, sha256_file, verify)

UCSB_SHA = "0b30ee2ee626ee57ed2f0e276d58f06dd07a894fc99edd1449799a37b223eb38"


def test_manifest_records():
    specs = load_manifest()
    assert {"synthetic-mesh", "ucsb-mesh"} <= set(specs)
    ucsb = specs["ucsb-mesh"]
    assert ucsb.sha256 == UCSB_SHA and ucsb.url.startswith("https://")
    assert ucsb.data_config() == DataConfig(format="files", max_threshold=2000.0)
    for spec in specs.values():
        assert spec.name == spec.name.lower() and " " not in spec.name
        assert len(spec.sha256) == 64 and spec.licence
    with pytest.raises(dataclasses.FrozenInstanceError):
        ucsb.sha256 = "0" * 64
    with pytest.raises(DownloadError, match="unknown dataset 'nope'; valid: "):
        get_spec("nope")


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("GCNGAN_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("GCNGAN_DATA")
    assert data_root().parts[-2:] == (".cache", "gcngan")


def test_shipped_dataset_verifies_in_place():
    path = verify("synthetic-mesh")
    assert path.name == "synthetic_mesh.csv" and fetch("synthetic-mesh") == path


def test_manifest_lookup_env_checkout_then_installed(monkeypatch, tmp_path):
    """A wheel has no source tree: the registry then reads <prefix>/share/gcngan/datasets
    (setup.cfg's data_files), with shipped datasets beside the manifest."""
    checkout = default_manifest()
    assert checkout == registry.REPO_ROOT / "datasets" / "manifest.json"
    installed = tmp_path / "share" / "gcngan"
    (installed / "datasets").mkdir(parents=True)
    for name in ("manifest.json", "synthetic_mesh.csv"):
        (installed / "datasets" / name).write_bytes((checkout.parent / name).read_bytes())
    monkeypatch.setattr(registry, "REPO_ROOT", tmp_path / "no-checkout")
    monkeypatch.setattr(registry, "INSTALLED_ROOT", installed)
    assert default_manifest() == installed / "datasets" / "manifest.json"
    assert verify("synthetic-mesh") == installed / "datasets" / "synthetic_mesh.csv"
    monkeypatch.setenv("GCNGAN_MANIFEST", str(checkout))
    assert default_manifest() == checkout and "ucsb-mesh" in load_manifest()
    monkeypatch.delenv("GCNGAN_MANIFEST")
    monkeypatch.setattr(registry, "INSTALLED_ROOT", tmp_path / "nowhere")
    with pytest.raises(DownloadError, match="manifest not found .*GCNGAN_MANIFEST"):
        load_manifest()


def _manifest(tmp_path, payload: bytes, sha: str):
    src = tmp_path / "remote" / "edges.csv"
    src.parent.mkdir()
    src.write_bytes(payload)
    man = tmp_path / "manifest.json"
    man.write_text(json.dumps({"datasets": [{
        "name": "toy", "filename": "edges.csv", "sha256": sha, "format": "snapshots",
        "url": src.as_uri(), "licence": "test"}]}))
    return man


def test_fetch_verifies_and_caches(tmp_path):
    payload = b"t,src,dst,weight\n0,0,1,2\n"
    man = _manifest(tmp_path, payload, hashlib.sha256(payload).hexdigest())
    root = tmp_path / "cache"
    path = fetch("toy", root=root, manifest=man)
    assert path == root / "toy" / "edges.csv" and path.read_bytes() == payload
    (tmp_path / "remote" / "edges.csv").unlink()                     # cached copy is reused
    assert fetch("toy", root=root, manifest=man) == path
    assert verify("toy", root=root, manifest=man) == path


def test_fetch_rejects_wrong_sha256_and_leaves_nothing(tmp_path):
    man = _manifest(tmp_path, b"t,src,dst,weight\n0,0,1,2\n", "0" * 64)
    root = tmp_path / "cache"
    with pytest.raises(DownloadError, match=f"sha256 mismatch: expected {'0' * 64}, got "
                                            f"[0-9a-f]{{64}}; the download was removed"):
        fetch("toy", root=root, manifest=man)
    assert not root.exists() or not any(root.rglob("*"))


def test_verify_reports_missing_and_corrupt(tmp_path):
    payload = b"t,src,dst,weight\n0,0,1,2\n"
    man = _manifest(tmp_path, payload, hashlib.sha256(payload).hexdigest())
    with pytest.raises(DownloadError, match="not found; run: gcngan data fetch toy"):
        verify("toy", root=tmp_path / "cache", manifest=man)
    fetch("toy", root=tmp_path / "cache", manifest=man)
    (tmp_path / "cache" / "toy" / "edges.csv").write_bytes(b"tampered")
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        verify("toy", root=tmp_path / "cache", manifest=man)


def test_fetch_bad_url(tmp_path):
    with pytest.raises(DownloadError, match="download failed"):
        fetch("ucsb-mesh", root=tmp_path, url=(tmp_path / "missing.zip").as_uri())
    assert not any(tmp_path.iterdir())


def test_ucsb_download_verify_unpack_offline(shared_file, tmp_path):
    """The real path: file:// URL -> atomic download -> sha256 -> read the zip's files."""
    src = shared_file("raw/gcngan_ucsb_data.zip")
    spec = get_spec("ucsb-mesh")
    path = fetch("ucsb-mesh", root=tmp_path, url=src.as_uri())
    assert sha256_file(path) == spec.sha256 == UCSB_SHA
    seq = load_snapshots(path, spec.data_config())
    assert (seq.num_nodes, seq.num_snapshots, seq.directed) == (38, 1005, True)
    assert (spec.num_nodes, spec.num_snapshots, spec.directed) == (38, 1005, True)
    assert float(seq.adj.max()) == 2000.0


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(DownloadError, match="unknown key"):
        DatasetSpec.from_dict({"name": "x", "filename": "f", "sha256": "0", "format": "files",
                               "mirror": "y"})
