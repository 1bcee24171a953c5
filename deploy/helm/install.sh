#!/usr/bin/env bash
# Install the pinned Helm, built from source through the Go module proxy, into a cache directory,
# when it is not there yet; print the path of the binary.
#
#   deploy/helm/install.sh            -> ~/.cache/ecowire/helm-<version>/helm
#
# Settings (environment): ECOWIRE_HELM_DIR (the cache directory, default
# ~/.cache/ecowire/helm-<version>), GO (the go binary: `go` on PATH, else /usr/local/go/bin/go).
# The first build takes a few minutes (the module download and the compile); afterwards it is a
# file test. Used by `make test` and CI, like deploy/prometheus/install.sh and deploy/kafka/kafka.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The one place the version is named: deploy/helm/HELM_VERSION (tests read it too).
version=$(tr -d ' \n' < "$here/HELM_VERSION")
dir=${ECOWIRE_HELM_DIR:-$HOME/.cache/ecowire/helm-$version}
helm="$dir/helm"

log() { printf 'helm/install.sh: %s\n' "$*" >&2; }

if [ -x "$helm" ] && "$helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then
  echo "$helm"; exit 0
fi

go=${GO:-}
if [ -z "$go" ]; then
  if command -v go >/dev/null 2>&1; then go=go
  elif [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go
  else log "Go is needed to build Helm $version (go install helm.sh/helm/v4/cmd/helm@$version)"; exit 1
  fi
fi

log "building Helm $version with $("$go" version | cut -d' ' -f3) into $dir (first time only)"
mkdir -p "$dir.tmp"
# CGO off: a static binary; -trimpath: no local paths in it; GOWORK=off: no go.work around us
# counts. -X sets the version string as Helm's own Makefile does (a plain `go install` reports
# "v4.3"). Go's module and build caches are reused between builds.
CGO_ENABLED=0 GOBIN="$dir.tmp" GOWORK=off GOFLAGS= \
  "$go" install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version" \
  "helm.sh/helm/v4/cmd/helm@$version"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
"$helm" version --template '{{.Version}}' | grep -qx "$version" || {
  log "the built binary does not report $version"; exit 1; }
echo "$helm"
