#!/usr/bin/env bash
# Install what Lantian needs on Debian 12: PostgreSQL 15 + PostGIS 3, fonts and libraries
# for PDFs and photos, nginx (the buffering front of `make run`), then a virtualenv from requirements. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-client-15 libharfbuzz-subset0 fonts-wqy-microhei poppler-utils
          libpango-1.0-0 libpangoft2-1.0-0 python3-venv nginx-light)
# `make test` (bootstrap.sh --test) also needs the browser its end-to-end tests drive.
if [ "${1:-}" = "--test" ]; then
  PACKAGES+=(chromium)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages. Run as root, then try again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
REQ_STAMP=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ "$(cat "$REQ_STAMP" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements-dev.txt
  echo "$want" > "$REQ_STAMP"
fi

# Front-end libraries for the console and the inspector app, pinned in vendor-assets.json (npm registry, no CDN).
.venv/bin/python scripts/vendor_assets.py
