"""Fetch the pinned front-end libraries of vendor-assets.json from the npm registry into app/static/vendor/.

Run by setup (scripts/bootstrap.sh); safe to run again (a package already unpacked at its pinned version is
skipped). Each tarball is checked against the registry's Subresource-Integrity hash before anything is unpacked,
so a changed or truncated download fails setup instead of serving something else. No Node.js is needed.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "vendor-assets.json"
VENDOR_DIR = ROOT / "app" / "static" / "vendor"
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")


def tarball_url(name: str, version: str) -> str:
    bare = name.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{name}/-/{bare}-{version}.tgz"


def verify_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"vendor_assets: integrity mismatch ({algorithm}): got {digest}, want {expected}")


def unpack(data: bytes, patterns: list[str], target: Path) -> int:
    """Extract the members matching ``patterns`` (paths inside the package) into ``target``; returns the count."""
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if not any(fnmatch.fnmatch(inner, pattern) for pattern in patterns):
                continue
            destination = (target / inner).resolve()
            if target.resolve() not in destination.parents:
                raise SystemExit(f"vendor_assets: refusing path outside the package: {member.name}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            destination.write_bytes(source.read())
            count += 1
    return count


def install(name: str, spec: dict) -> None:
    target = VENDOR_DIR / name
    stamp = target / ".version"
    if stamp.exists() and stamp.read_text() == spec["version"]:
        return
    url = tarball_url(name, spec["version"])
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    verify_integrity(data, spec["integrity"])
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    if unpack(data, spec["files"], target) == 0:
        raise SystemExit(f"vendor_assets: no file of {name}@{spec['version']} matched {spec['files']}")
    stamp.write_text(spec["version"])
    print(f"vendored {name}@{spec['version']}")


def main() -> None:
    packages = json.loads(MANIFEST.read_text())["packages"]
    for name, spec in packages.items():
        install(name, spec)


if __name__ == "__main__":
    sys.exit(main())
