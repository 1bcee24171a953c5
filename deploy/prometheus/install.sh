#!/usr/bin/env bash
# Install Prometheus and promtool from Debian's `prometheus` package when they are missing.
# Used by `make test` set-up and CI (Debian 12, root). The package's postinst tries to start a
# systemd unit; without systemd that step is skipped and only the binaries matter:
# /usr/bin/prometheus and /usr/bin/promtool.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install.sh: need root (or sudo) to apt-get install prometheus" >&2; exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# --no-install-recommends: skip the node exporter and the web console assets.
$SUDO apt-get install -y -q --no-install-recommends prometheus

# Debian's postinst may have started a daemon on :9090 where an init system exists; the tests
# run their own instance on a free port and do not need it.
command -v prometheus >/dev/null && command -v promtool >/dev/null
prometheus --version | head -1
