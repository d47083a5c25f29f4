#!/usr/bin/env bash
# Builds (or reuses) the real programs the "tools" test project hands artifacts to:
# kube-apiserver and kubeadm at the pinned Kubernetes release, the etcd server the API
# server runs against, actionlint, kube-score, and a Python venv with moto and parliament.
#
# Everything lands in a cache directory outside git, one folder per tool and version,
# so bumping a pin rebuilds only that tool and later runs reuse what is there:
#   ${PLATFORM_TOOLS_CACHE:-$HOME/.cache/kubeadm-aws-platform-tools}/<tool>-<version>/
# The last line printed on stdout is KEY=path for each tool (read by global-setup.ts).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${PLATFORM_TOOLS_CACHE:-$HOME/.cache/kubeadm-aws-platform-tools}"
mkdir -p "$cache"

log() { echo "[build-tools] $*" >&2; }

# The two cores of a CI machine are shared; keep builds polite and bounded.
export GOMAXPROCS="${GOMAXPROCS:-2}"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

k8s_version="$(sed -n 's/^export const KUBERNETES_VERSION = "\([0-9.]*\)";$/\1/p' "$repo/infra/versions.ts")"
if [ -z "$k8s_version" ]; then
  log "cannot read KUBERNETES_VERSION from infra/versions.ts"
  exit 1
fi

# Version of a module as pinned by the go.mod in directory $1.
module_version() {
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

k8s_pinned="$(module_version "$here/go" k8s.io/kubernetes)"
if [ "$k8s_pinned" != "v$k8s_version" ]; then
  log "test/tools/go/go.mod pins k8s.io/kubernetes $k8s_pinned but infra/versions.ts says $k8s_version; update go.mod"
  exit 1
fi

# go_build <name> <version> <module dir> <package> [ldflags]
go_build() {
  local name="$1" version="$2" dir="$3" pkg="$4" ldflags="${5:-}"
  local dest="$cache/$name-$version"
  if [ -x "$dest/$name" ]; then
    echo "$dest/$name"
    return
  fi
  log "building $name $version (first run, several minutes)..."
  local start=$SECONDS tmp
  tmp="$(mktemp -d "$cache/.build-$name.XXXXXX")"
  (cd "$dir" && nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/$name" "$pkg")
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "built $name $version in $((SECONDS - start))s -> $dest/$name"
  echo "$dest/$name"
}

# The same version stamps the Kubernetes release build (hack/lib/version.sh) sets:
# kubeadm and the API server compare their own version with the configs they read.
k8s_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=v$k8s_version"
  k8s_ldflags+=" -X $pkg.gitMajor=${k8s_version%%.*}"
  k8s_ldflags+=" -X $pkg.gitMinor=$(echo "$k8s_version" | cut -d. -f2)"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean"
  k8s_ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

etcd_version="$(module_version "$here/go" go.etcd.io/etcd/server/v3)"
actionlint_version="$(module_version "$here/go/actionlint" github.com/rhysd/actionlint)"
kube_score_version="$(module_version "$here/go/kube-score" github.com/zegl/kube-score)"

KUBE_APISERVER="$(go_build kube-apiserver "$k8s_version" "$here/go" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags")"
KUBEADM="$(go_build kubeadm "$k8s_version" "$here/go" k8s.io/kubernetes/cmd/kubeadm "$k8s_ldflags")"
ETCD="$(go_build etcd "${etcd_version#v}" "$here/go" ./cmd/etcd)"
ACTIONLINT="$(go_build actionlint "${actionlint_version#v}" "$here/go/actionlint" github.com/rhysd/actionlint/cmd/actionlint)"
KUBE_SCORE="$(go_build kube-score "${kube_score_version#v}" "$here/go/kube-score" github.com/zegl/kube-score/cmd/kube-score \
  "-X main.version=$kube_score_version")"

# Python tools: one venv per content of requirements.txt.
req="$here/requirements.txt"
req_hash="$(sha256sum "$req" | cut -c1-12)"
venv="$cache/python-$req_hash"
# The marker is written last, so an interrupted install is redone rather than trusted.
if [ ! -f "$venv/.complete" ]; then
  log "installing moto and parliament into $venv (first run, about a minute)..."
  start=$SECONDS
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  touch "$venv/.complete"
  log "installed Python tools in $((SECONDS - start))s"
fi

echo "KUBE_APISERVER=$KUBE_APISERVER KUBEADM=$KUBEADM ETCD=$ETCD ACTIONLINT=$ACTIONLINT KUBE_SCORE=$KUBE_SCORE MOTO_SERVER=$venv/bin/moto_server PARLIAMENT=$venv/bin/parliament"
