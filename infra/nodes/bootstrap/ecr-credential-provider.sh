#!/usr/bin/env bash
# Installs the kubelet image credential provider for Amazon ECR (the
# `ecr-credential-provider` binary of kubernetes/cloud-provider-aws) and its
# CredentialProviderConfig. The kubelet then asks the plugin for short-lived ECR
# credentials (from the instance role) whenever it pulls an ECR image: no
# imagePullSecrets, no refresh cron. The kubelet flags that point at the files are set
# by worker-join.sh in the JoinConfiguration:
#   --image-credential-provider-config=$ECR_PROVIDER_CONFIG
#   --image-credential-provider-bin-dir=$ECR_PROVIDER_BIN_DIR
# Safe to run again: a binary whose checksum already matches is left alone.
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   ECR_CREDENTIAL_PROVIDER_VERSION   pinned release, e.g. 1.31.0
#   ECR_CREDENTIAL_PROVIDER_SHA256_AMD64, _ARM64   its binaries' SHA-256, from infra/versions.ts
# Redirectable for the test harness: ROOT_DIR (prefix of every file path),
# ECR_PROVIDER_BASE_URL (default https://artifacts.k8s.io/binaries/cloud-provider-aws),
# NODE_ARCH (default: dpkg's architecture).
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
ECR_PROVIDER_BASE_URL="${ECR_PROVIDER_BASE_URL:-https://artifacts.k8s.io/binaries/cloud-provider-aws}"
# Paths as the kubelet sees them (ROOT_DIR is prefixed only when writing).
ECR_PROVIDER_BIN_DIR=/usr/local/libexec/kubelet-credential-providers
ECR_PROVIDER_CONFIG=/etc/kubernetes/credential-providers.yaml

log() { printf '%s ecr-credential-provider: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
: "${ECR_CREDENTIAL_PROVIDER_VERSION:?must be set in the bootstrap env file}"
[[ "$ECR_CREDENTIAL_PROVIDER_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  die "ECR_CREDENTIAL_PROVIDER_VERSION '$ECR_CREDENTIAL_PROVIDER_VERSION' is not x.y.z"
arch="${NODE_ARCH:-$(dpkg --print-architecture)}"
case "$arch" in
  amd64 | arm64) ;;
  *) die "no ecr-credential-provider build for architecture '$arch'" ;;
esac

binary="${ROOT_DIR}${ECR_PROVIDER_BIN_DIR}/ecr-credential-provider"
url="${ECR_PROVIDER_BASE_URL}/v${ECR_CREDENTIAL_PROVIDER_VERSION}/linux/${arch}/ecr-credential-provider-linux-${arch}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The checksum comes from the repository (infra/versions.ts, through the env file), never
# from the download host: a binary changed there is refused even with a matching checksum
# file beside it.
pinned_var="ECR_CREDENTIAL_PROVIDER_SHA256_${arch^^}"
expected="${!pinned_var:-}"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "$pinned_var '$expected' is not a SHA-256 (64 lower-case hex digits)"

if [[ -x "$binary" ]] && [[ "$(sha256sum "$binary" | cut -d' ' -f1)" == "$expected" ]]; then
  log "ecr-credential-provider v${ECR_CREDENTIAL_PROVIDER_VERSION} is already installed"
else
  log "downloading $url"
  curl -fsSL --retry 5 --retry-connrefused --max-time 300 -o "$work/ecr-credential-provider" "$url" ||
    die "could not download $url"
  actual="$(sha256sum "$work/ecr-credential-provider" | cut -d' ' -f1)"
  [[ "$actual" == "$expected" ]] || die "checksum mismatch for $url: expected $expected, got $actual"
  install -D -m 0755 "$work/ecr-credential-provider" "$binary"
  log "installed ${ECR_PROVIDER_BIN_DIR}/ecr-credential-provider (sha256 $actual)"
fi

# The provider's name must be the binary's file name. The token ECR hands out lives
# 12 hours, so the kubelet may cache it that long. Patterns cover ECR in the commercial,
# FIPS and China partitions.
config="${ROOT_DIR}${ECR_PROVIDER_CONFIG}"
mkdir -p "$(dirname "$config")"
cat >"$work/config.yaml" <<'EOF'
# Written by ecr-credential-provider.sh; read by the kubelet (--image-credential-provider-config).
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: ecr-credential-provider
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    matchImages:
      - "*.dkr.ecr.*.amazonaws.com"
      - "*.dkr.ecr-fips.*.amazonaws.com"
      - "*.dkr.ecr.*.amazonaws.com.cn"
    defaultCacheDuration: "12h"
EOF
if [[ -f "$config" ]] && cmp -s "$work/config.yaml" "$config"; then
  log "$ECR_PROVIDER_CONFIG is up to date"
else
  install -m 0644 "$work/config.yaml" "$config"
  log "wrote $ECR_PROVIDER_CONFIG"
fi
