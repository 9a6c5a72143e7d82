#!/usr/bin/env bash
# Sets up a fresh Debian machine for the suite: the system Chromium (Playwright's own browser
# download cannot work on a closed network), a real Prometheus and Pushgateway for the metrics
# tests, Alertmanager's amtool to check the generated Alertmanager config, and the npm
# dependencies exactly as locked.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ] || missing+=(chromium)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
# The benchmarks time the suite beside curl and blackbox_exporter (a smoke of them runs in CI).
command -v prometheus-blackbox-exporter >/dev/null 2>&1 || missing+=(prometheus-blackbox-exporter)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The container image is built and smoke-tested with no registry (scripts/image.sh): mmdebstrap
# makes the Debian base, podman imports it, buildah builds and runs the image.
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} (Debian packages)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
