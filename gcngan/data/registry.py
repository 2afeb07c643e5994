"""Dataset registry: one frozen :class:`DatasetSpec` per dataset, and checksum-verified fetch.

The records live in ``datasets/manifest.json`` at the repository root; an installed wheel
carries a copy (with the shipped datasets) in ``<prefix>/share/gcngan/datasets/``, and
``$GCNGAN_MANIFEST`` points to another one (:func:`default_manifest`). :func:`fetch`
downloads a dataset into the data root (``root`` argument, else ``$GCNGAN_DATA``, else
``~/.cache/gcngan``) through a temporary file, verifies its sha256 and only then renames it
into place; on a mismatch the download is removed and :class:`DownloadError` names both
digests. Datasets shipped with the repository (``path``) are verified in place. TLS
verification stays on (``urllib`` defaults); tests use ``file://`` URLs.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional

from gcngan.config import DataConfig
from gcngan.errors import GcnganError
from gcngan.io import atomic_path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where an installed wheel puts ``datasets/`` (``data_files`` in ``setup.cfg``).
INSTALLED_ROOT = Path(sys.prefix) / "share" / "gcngan"
CHUNK = 1 << 20


def default_manifest() -> Path:
    """``$GCNGAN_MANIFEST``, else the source checkout's ``datasets/manifest.json``, else the
    installed copy under ``<prefix>/share/gcngan``. Shipped datasets (``path``) are resolved
    against the folder above the manifest's folder."""
    env = os.environ.get("GCNGAN_MANIFEST")
    if env:
        return Path(env).expanduser()
    for root in (REPO_ROOT, INSTALLED_ROOT):
        candidate = root / "datasets" / "manifest.json"
        if candidate.is_file():
            return candidate
    return REPO_ROOT / "datasets" / "manifest.json"     # not found: named in the error


class DownloadError(GcnganError):
    """A dataset that cannot be downloaded, is missing, or fails its sha256 check."""


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of the registry.

    Args:
        name: lower-case, hyphenated (``ucsb-mesh``).
        filename: name of the downloaded file in ``<root>/<name>/``.
        sha256: hex digest the file must have.
        format: ``snapshots``, ``events`` or ``files`` (see :mod:`gcngan.data.edgelist`).
        url: where to download it (``None`` for a dataset shipped with the repository).
        path: file shipped with the repository, relative to its root.
        options: :class:`~gcngan.config.DataConfig` fields to ingest it with.
        num_nodes, num_snapshots, directed: what ingestion must give (checked in tests).
        description, licence, citation: provenance for humans.
    """

    name: str
    filename: str
    sha256: str
    format: str
    url: Optional[str] = None
    path: Optional[str] = None
    options: dict = field(default_factory=dict)
    num_nodes: Optional[int] = None
    num_snapshots: Optional[int] = None
    directed: Optional[bool] = None
    description: str = ""
    licence: str = ""
    citation: str = ""

    def data_config(self, **overrides) -> DataConfig:
        """The ingestion options of this dataset (plus ``overrides``) as a DataConfig."""
        return DataConfig(**{"format": self.format, **self.options, **overrides})

    @classmethod
    def from_dict(cls, d: dict, source: str | Path = "manifest") -> "DatasetSpec":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise DownloadError(f"{source}: dataset {d.get('name')!r} has unknown key(s) "
                                f"{', '.join(sorted(unknown))}")
        return cls(**d)


def load_manifest(path: str | Path | None = None) -> dict[str, DatasetSpec]:
    """All records of the manifest (default: :func:`default_manifest`), by name."""
    path = Path(path) if path is not None else default_manifest()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DownloadError(f"{path}: dataset manifest not found (set GCNGAN_MANIFEST to a "
                            f"manifest.json, or run from a source checkout)") from None
    except json.JSONDecodeError as exc:
        raise DownloadError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    specs = [DatasetSpec.from_dict(d, path) for d in data.get("datasets", [])]
    return {s.name: s for s in specs}


def get_spec(name: str, manifest: str | Path | None = None) -> DatasetSpec:
    """The record called ``name``; unknown names list the valid ones."""
    specs = load_manifest(manifest)
    if name not in specs:
        raise DownloadError(f"unknown dataset {name!r}; valid: {', '.join(sorted(specs))}")
    return specs[name]


def data_root(root: str | Path | None = None) -> Path:
    """``root``, else ``$GCNGAN_DATA``, else ``~/.cache/gcngan``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("GCNGAN_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gcngan"


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def local_path(spec: DatasetSpec, root: str | Path | None = None,
               manifest: str | Path | None = None) -> Path:
    """Where ``spec``'s file is (shipped ``path``, relative to the folder above the
    manifest's) or will be (``<root>/<name>/<filename>``)."""
    if spec.path is not None:
        manifest = Path(manifest) if manifest is not None else default_manifest()
        return manifest.resolve().parent.parent / spec.path
    return data_root(root) / spec.name / spec.filename


def download(url: str, dest: str | Path, sha256: str, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying ``sha256`` before the rename.

    Raises:
        DownloadError: network/file error, or a digest mismatch (nothing is left behind).
    """
    dest = Path(dest)
    new_dirs = [p for p in [dest.parent, *dest.parent.parents] if not p.exists()]
    h = hashlib.sha256()
    try:
        with atomic_path(dest, suffix=".part") as tmp:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
                for chunk in iter(lambda: resp.read(CHUNK), b""):
                    h.update(chunk)
                    out.write(chunk)
            actual = h.hexdigest()
            if actual != sha256.lower():
                raise DownloadError(f"{url}: sha256 mismatch: expected {sha256}, got {actual}; "
                                    f"the download was removed")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        _remove_empty(new_dirs)
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise DownloadError(f"{url}: download failed ({reason})") from None
    except DownloadError:
        _remove_empty(new_dirs)
        raise
    log.info("downloaded %s -> %s (sha256 ok)", url, dest)
    return dest


def _remove_empty(dirs: list) -> None:
    """Remove directories this download created (deepest first) if they are still empty."""
    for d in dirs:
        try:
            d.rmdir()
        except OSError:
            break


def fetch(name: str, root: str | Path | None = None, url: str | None = None,
          manifest: str | Path | None = None) -> Path:
    """Path to a verified copy of dataset ``name``, downloading it if needed.

    An existing file with the right sha256 is reused; one with a wrong digest is
    downloaded again. ``url`` overrides the manifest's URL (a mirror, or ``file://``).

    Raises:
        DownloadError: unknown name, failed download or sha256 mismatch.
    """
    spec = get_spec(name, manifest)
    if spec.path is not None and url is None:
        return verify(name, root, manifest)
    dest = data_root(root) / spec.name / spec.filename
    if dest.is_file():
        if sha256_file(dest) == spec.sha256:
            log.info("%s: using cached %s", name, dest)
            return dest
        log.warning("%s: cached %s fails its sha256 check; downloading again", name, dest)
    source = url or spec.url
    if source is None:
        raise DownloadError(f"dataset {name!r} has no download URL; pass --url")
    return download(source, dest, spec.sha256)


def verify(name: str, root: str | Path | None = None,
           manifest: str | Path | None = None) -> Path:
    """Check the local copy of ``name`` against its sha256; returns its path.

    Raises:
        DownloadError: the file is missing or its digest differs.
    """
    spec = get_spec(name, manifest)
    path = local_path(spec, root, manifest)
    if not path.is_file():
        raise DownloadError(f"{path}: dataset {name!r} not found; run: gcngan data fetch {name}")
    actual = sha256_file(path)
    if actual != spec.sha256:
        raise DownloadError(f"{path}: sha256 mismatch: expected {spec.sha256}, got {actual}")
    return path
