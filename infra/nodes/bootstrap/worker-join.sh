#!/usr/bin/env bash
# Joins an EC2 instance of a worker pool to the cluster. Runs from the user-data:
#   1. node-prepare.sh (shared with the control plane): hostname = private DNS name,
#      swap off, kernel settings, containerd, kubelet/kubeadm at the pinned version;
#   2. ecr-credential-provider.sh: the kubelet's ECR image credential provider;
#   3. reads the join secret until it holds a token that is still valid (the control
#      plane writes one after `kubeadm init` and rotates it; workers may boot first),
#      backing off exponentially; after WORKER_JOIN_TIMEOUT_MINUTES it gives up and fails
#      (bootstrap.sh then hands the instance back to its autoscaling group, as for any
#      failed step);
#   4. writes the kubeadm JoinConfiguration (mode 0600) and runs `kubeadm join`.
# On a node that has joined already (/etc/kubernetes/kubelet.conf exists) it changes
# nothing and exits 0.
#
# The token is read from Secrets Manager with the instance role; it never appears in
# the user-data, on a command line, or in this log. The join configuration that holds
# it is removed once `kubeadm join` has run.
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   AWS_REGION, KUBEADM_API_VERSION, JOIN_SECRET_ARN, WORKER_JOIN_TIMEOUT_MINUTES,
#   NODE_POOL                 the pool's name (logged)
#   NODE_LABELS               kubelet --node-labels value: k=v[,k=v...] (may be empty)
#   NODE_TAINTS               key=value:Effect[,key=value:Effect...] (may be empty)
#   plus what node-prepare.sh and ecr-credential-provider.sh read.
# and NODE_NAME, NODE_IP from /etc/platform/node.env (node-prepare.sh).
#
# Modes:
#   (default)      the four steps above.
#   RENDER_ONLY=1  skip steps 1, 2 and the join: read the secret (or JOIN_SECRET_FILE),
#                  write the JoinConfiguration to $KUBEADM_JOIN_CONFIG and exit. Needs no
#                  root; NODE_NAME and NODE_IP may come from the environment. The test
#                  suite hands the result to `kubeadm config validate`.
# Redirectable for the test harness: ROOT_DIR (prefix of every file path),
# PLATFORM_BIN (where the user-data put the scripts), KUBEADM_JOIN_CONFIG,
# JOIN_SECRET_FILE (read the secret's JSON from this file instead of Secrets Manager),
# JOIN_POLL_FIRST_DELAY_SECONDS, JOIN_POLL_MAX_DELAY_SECONDS, JOIN_TIMEOUT_SECONDS (overrides
# WORKER_JOIN_TIMEOUT_MINUTES so a test need not wait minutes); the AWS CLI honours
# AWS_ENDPOINT_URL, node-prepare.sh IMDS_ENDPOINT.
set -euo pipefail
# This script holds a secret in a variable: never trace it, even if started with `bash -x`.
set +o xtrace

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
NODE_ENV="${ROOT_DIR}/etc/platform/node.env"
PLATFORM_BIN="${PLATFORM_BIN:-/opt/platform/bin}"
KUBEADM_JOIN_CONFIG="${KUBEADM_JOIN_CONFIG:-${ROOT_DIR}/etc/kubernetes/kubeadm-join.yaml}"
KUBELET_KUBECONFIG="${ROOT_DIR}/etc/kubernetes/kubelet.conf"
JOIN_SECRET_FILE="${JOIN_SECRET_FILE:-}"
RENDER_ONLY="${RENDER_ONLY:-0}"
JOIN_POLL_FIRST_DELAY_SECONDS="${JOIN_POLL_FIRST_DELAY_SECONDS:-5}"
JOIN_POLL_MAX_DELAY_SECONDS="${JOIN_POLL_MAX_DELAY_SECONDS:-60}"
# A token must outlive discovery and the TLS bootstrap by a comfortable margin.
TOKEN_MIN_REMAINING_SECONDS=600
# Paths as the kubelet sees them; ecr-credential-provider.sh installs there.
ECR_PROVIDER_BIN_DIR=/usr/local/libexec/kubelet-credential-providers
ECR_PROVIDER_CONFIG=/etc/kubernetes/credential-providers.yaml
PATH="${PATH}:/snap/bin"

log() { printf '%s worker-join: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ -f "$KUBELET_KUBECONFIG" && "$RENDER_ONLY" != 1 ]]; then
  log "this node has joined the cluster already (/etc/kubernetes/kubelet.conf exists); nothing to do"
  exit 0
fi

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
for var in KUBEADM_API_VERSION WORKER_JOIN_TIMEOUT_MINUTES NODE_POOL; do
  [[ -n "${!var:-}" ]] || die "$var is not set in the bootstrap env file"
done
if [[ -z "$JOIN_SECRET_FILE" ]]; then
  for var in AWS_REGION JOIN_SECRET_ARN; do
    [[ -n "${!var:-}" ]] || die "$var is not set in the bootstrap env file"
  done
fi
NODE_LABELS="${NODE_LABELS:-}"
NODE_TAINTS="${NODE_TAINTS:-}"
[[ "$KUBEADM_API_VERSION" =~ ^kubeadm\.k8s\.io/v1beta[0-9]+$ ]] || die "KUBEADM_API_VERSION '$KUBEADM_API_VERSION' is not a kubeadm API"
[[ "$WORKER_JOIN_TIMEOUT_MINUTES" =~ ^[1-9][0-9]*$ ]] || die "WORKER_JOIN_TIMEOUT_MINUTES '$WORKER_JOIN_TIMEOUT_MINUTES' is not a positive integer"
# Label and taint syntax is validated by the stack configuration; this guards the YAML below.
[[ "$NODE_LABELS" =~ ^[A-Za-z0-9._/=,-]*$ ]] || die "NODE_LABELS holds characters a label cannot have"
[[ "$NODE_TAINTS" =~ ^[A-Za-z0-9._/=,:-]*$ ]] || die "NODE_TAINTS holds characters a taint cannot have"

started="$(date -u +%s)"

# --- 1 and 2: node preparation and the ECR credential provider ---------------------------
if [[ "$RENDER_ONLY" != 1 ]]; then
  log "preparing the node (pool $NODE_POOL)"
  "${PLATFORM_BIN}/node-prepare.sh"
  log "installing the kubelet ECR image credential provider"
  "${PLATFORM_BIN}/ecr-credential-provider.sh"
fi

node_name_override="${NODE_NAME:-}"
node_ip_override="${NODE_IP:-}"
if [[ -r "$NODE_ENV" ]]; then
  # shellcheck source=/dev/null
  source "$NODE_ENV"
fi
NODE_NAME="${node_name_override:-${NODE_NAME:-}}"
NODE_IP="${node_ip_override:-${NODE_IP:-}}"
[[ "$NODE_NAME" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "NODE_NAME '${NODE_NAME}' is not a DNS name (node env file)"
[[ "$NODE_IP" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "NODE_IP '${NODE_IP}' is not an IPv4 address (node env file)"

work="$(mktemp -d)"
cleanup() {
  rm -rf "$work"
  # The join configuration holds the token; once kubeadm has used it, it has no purpose.
  if [[ "$RENDER_ONLY" != 1 ]]; then rm -f "$KUBEADM_JOIN_CONFIG"; fi
}
trap cleanup EXIT
chmod 0700 "$work"

# Fails the step; bootstrap.sh (BOOTSTRAP_ON_FAILURE=replace-instance on workers) then
# hands the instance back to its group, as it does for a failure at any other step.
give_up() {
  log "ERROR: $*"
  exit 1
}

# --- 3: a valid token from the join secret ---------------------------------------------------
# Reads the secret into $work/join.json (mode 0600) and checks it; prints why not when it
# is not usable yet. Values are never printed: only which field is missing or stale.
read_join_secret() {
  (
    umask 077
    if [[ -n "$JOIN_SECRET_FILE" ]]; then
      cat "$JOIN_SECRET_FILE" >"$work/join.json"
    else
      aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$JOIN_SECRET_ARN" \
        --query SecretString --output text >"$work/join.json" 2>"$work/error"
    fi
  ) || {
    echo "Secrets Manager: $(tr '\n' ' ' <"$work/error" 2>/dev/null)"
    return 1
  }
  jq -e 'type == "object"' "$work/join.json" >/dev/null 2>&1 || {
    echo "the secret holds no JSON object yet (the control plane has not written a token)"
    return 1
  }
  jq -e '.token | type == "string" and test("^[a-z0-9]{6}\\.[a-z0-9]{16}$")' "$work/join.json" >/dev/null 2>&1 || {
    echo "the secret has no bootstrap token yet (the control plane has not written one)"
    return 1
  }
  jq -e '.caCertHash | type == "string" and test("^sha256:[0-9a-f]{64}$")' "$work/join.json" >/dev/null 2>&1 || {
    echo "the secret's caCertHash is missing or malformed"
    return 1
  }
  jq -e '.endpoint | type == "string" and test("^[A-Za-z0-9.-]+:[0-9]{1,5}$")' "$work/join.json" >/dev/null 2>&1 || {
    echo "the secret's endpoint is missing or malformed"
    return 1
  }
  local expires_at expires now
  expires_at="$(jq -r '.expiresAt // ""' "$work/join.json")"
  [[ "$expires_at" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || {
    echo "the secret's expiresAt is missing or not RFC 3339 UTC"
    return 1
  }
  expires="$(date -u -d "$expires_at" +%s)" || {
    echo "the secret's expiresAt '$expires_at' is not a date"
    return 1
  }
  now="$(date -u +%s)"
  if ((expires - now < TOKEN_MIN_REMAINING_SECONDS)); then
    echo "the token in the secret expires at $expires_at, too soon to join with; waiting for the next rotation"
    return 1
  fi
  return 0
}

timeout_seconds="${JOIN_TIMEOUT_SECONDS:-$((WORKER_JOIN_TIMEOUT_MINUTES * 60))}"
[[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "JOIN_TIMEOUT_SECONDS '$timeout_seconds' is not an integer"
deadline=$((started + timeout_seconds))
delay="$JOIN_POLL_FIRST_DELAY_SECONDS"
attempt=1
source_name="${JOIN_SECRET_FILE:-${JOIN_SECRET_ARN:-}}"
log "waiting for a valid join token in $source_name (giving up after $((timeout_seconds / 60)) minutes)"
while ! reason="$(read_join_secret)"; do
  now="$(date -u +%s)"
  if ((now >= deadline)); then
    give_up "no valid join token in $source_name after ${timeout_seconds}s (last check: $reason)"
  fi
  wait_for=$((delay < deadline - now ? delay : deadline - now))
  log "join token not usable yet (attempt $attempt): $reason; retrying in ${wait_for}s"
  sleep "$wait_for"
  attempt=$((attempt + 1))
  delay=$((delay * 2 > JOIN_POLL_MAX_DELAY_SECONDS ? JOIN_POLL_MAX_DELAY_SECONDS : delay * 2))
done
token="$(jq -r .token "$work/join.json")"
ca_cert_hash="$(jq -r .caCertHash "$work/join.json")"
endpoint="$(jq -r .endpoint "$work/join.json")"
expires_at="$(jq -r .expiresAt "$work/join.json")"
rm -f "$work/join.json"
log "found a join token valid until $expires_at for the API server at $endpoint"

# --- 4: JoinConfiguration and kubeadm join -----------------------------------------------------
# v1beta4 gives kubelet arguments as name/value lists. The kubelet's own settings
# (cgroup driver, serverTLSBootstrap, ...) come from the cluster's kubelet-config ConfigMap,
# which kubeadm init wrote from control-plane-init.sh's KubeletConfiguration, during the
# join: kubeadm join ignores a KubeletConfiguration in its own file.
render_join_config() {
  cat <<EOF
# Rendered by worker-join.sh; holds a bootstrap token, removed after kubeadm join.
apiVersion: ${KUBEADM_API_VERSION}
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "${endpoint}"
    token: "${token}"
    caCertHashes:
      - "${ca_cert_hash}"
nodeRegistration:
  name: "${NODE_NAME}"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    # The AWS cloud controller manager initialises the node (provider ID, addresses, zone).
    - name: cloud-provider
      value: external
    - name: node-ip
      value: "${NODE_IP}"
    - name: image-credential-provider-config
      value: ${ECR_PROVIDER_CONFIG}
    - name: image-credential-provider-bin-dir
      value: ${ECR_PROVIDER_BIN_DIR}
EOF
  if [[ -n "$NODE_LABELS" ]]; then
    printf '    - name: node-labels\n      value: "%s"\n' "$NODE_LABELS"
  fi
  if [[ -z "$NODE_TAINTS" ]]; then
    printf '  taints: []\n'
  else
    printf '  taints:\n'
    local taint key_value
    IFS=',' read -r -a taint_list <<<"$NODE_TAINTS"
    for taint in "${taint_list[@]}"; do
      key_value="${taint%:*}"
      printf '    - key: "%s"\n      value: "%s"\n      effect: %s\n' "${key_value%%=*}" "${key_value#*=}" "${taint##*:}"
    done
  fi
  cat <<'EOF'
timeouts:
  discovery: 5m0s
  tlsBootstrap: 5m0s
EOF
}

log "writing the JoinConfiguration for node $NODE_NAME ($NODE_IP) to $KUBEADM_JOIN_CONFIG"
mkdir -p "$(dirname "$KUBEADM_JOIN_CONFIG")"
config_tmp="$(umask 077 && mktemp "${KUBEADM_JOIN_CONFIG}.XXXXXX")"
render_join_config >"$config_tmp"
chmod 0600 "$config_tmp"
mv -f "$config_tmp" "$KUBEADM_JOIN_CONFIG"
unset token
if [[ "$RENDER_ONLY" == 1 ]]; then
  log "RENDER_ONLY=1: wrote $KUBEADM_JOIN_CONFIG, stopping here"
  exit 0
fi

log "running kubeadm join against $endpoint"
if ! kubeadm join --config "$KUBEADM_JOIN_CONFIG"; then
  give_up "kubeadm join failed (see its output above)"
fi
log "node $NODE_NAME of pool $NODE_POOL joined the cluster in $(($(date -u +%s) - started))s"
