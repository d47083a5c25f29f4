#!/usr/bin/env bash
# Brings up the kubeadm control plane on a node that node-prepare.sh has prepared.
# Safe to run again: PKI files are only (re)written when missing, `kubeadm init` runs
# only on a node that was never initialised, units are rewritten only when they change.
#
# Done means done: `kubeadm init` writes admin.conf long before its last phase (bootstrap
# token, upload-config, add-ons), so the node counts as initialised only once the marker
# $INIT_MARKER exists, written right after `kubeadm init` succeeded. A node with kubeadm's
# files but no marker is a half-finished init: it is reset (`kubeadm reset -f` and the
# files it leaves) and initialised again.
#
# Disaster recovery: a node that was never initialised looks for the newest etcd snapshot
# in the cluster's bucket first. If there is one (the control-plane instance was replaced),
# etcd-restore.sh restores it into the data directory before `kubeadm init` starts etcd
# and the API server on it (same PKI, same member name and address, so the same cluster),
# and a fresh join token is written right after (the one in the join secret is newer than
# the snapshot, so the restored cluster does not know it). With no snapshot (a new
# cluster) the node initialises an empty cluster.
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   CLUSTER_NAME, AWS_REGION, KUBERNETES_VERSION, KUBEADM_API_VERSION,
#   CONTROL_PLANE_ENDPOINT_IP   the stable private address (fixed ENI) workers and kubeadm use
#   API_SERVER_PORT             6443
#   API_SERVER_CERT_SANS        space-separated addresses and names for the serving certificate
#   POD_CIDR, SERVICE_CIDR
#   PKI_SECRET_ARN              Secrets Manager secret: JSON object, one entry per file below
#   SERVICE_ACCOUNT_ISSUER_URL  the published service-account issuer (infra/aws/oidc.ts)
#   ETCD_BACKUP_BUCKET, ETCD_BACKUP_KMS_KEY_ARN, ETCD_BACKUP_INTERVAL_MINUTES, ETCD_BACKUP_KEEP
#   (JOIN_SECRET_ARN, JOIN_TOKEN_TTL_HOURS, JOIN_TOKEN_ROTATION_HOURS: for join-token-rotate.sh;
#    VPC_CIDR: for kubelet-serving-approver.sh)
# and NODE_NAME / NODE_IP from /etc/platform/node.env (written by node-prepare.sh).
# The secret itself only ever travels from the AWS CLI into files of mode 0600: nothing
# secret is printed, passed on a command line or written to this log.
#
# Modes:
#   (default)      fetch the PKI, render the kubeadm configuration, `kubeadm init` once,
#                  install the etcd snapshot timer, the join-token rotation timer and the
#                  kubelet serving-certificate approver (whose units the user-data put in
#                  $PLATFORM_UNITS), and write the first join token right away so that
#                  waiting workers can join.
#   RENDER_ONLY=1  only render the kubeadm configuration to $KUBEADM_CONFIG and exit. Needs
#                  no AWS and no root; NODE_NAME and NODE_IP may come from the environment.
#                  The test suite renders the config this way and hands it to
#                  `kubeadm config validate`, so what is validated is what runs here.
#
# Redirectable for the test harness: ROOT_DIR (prefix of every file path), KUBEADM_CONFIG,
# PLATFORM_BIN and PLATFORM_UNITS (where the user-data put scripts and units); the AWS CLI
# honours AWS_ENDPOINT_URL.
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
NODE_ENV="${ROOT_DIR}/etc/platform/node.env"
KUBEADM_CONFIG="${KUBEADM_CONFIG:-${ROOT_DIR}/etc/kubernetes/kubeadm-config.yaml}"
PKI_DIR="${ROOT_DIR}/etc/kubernetes/pki"
PLATFORM_BIN="${PLATFORM_BIN:-/opt/platform/bin}"
PLATFORM_UNITS="${PLATFORM_UNITS:-${ROOT_DIR}/opt/platform/units}"
INIT_MARKER="${ROOT_DIR}/var/lib/platform/kubeadm-init.done"
JOIN_TOKEN_STATE="${ROOT_DIR}/var/lib/platform/join-token.state"
RENDER_ONLY="${RENDER_ONLY:-0}"
# Bounded retries of the AWS calls (the test harness lowers the pause).
AWS_ATTEMPTS="${AWS_ATTEMPTS:-5}"
AWS_FIRST_DELAY_SECONDS="${AWS_FIRST_DELAY_SECONDS:-5}"
PATH="${PATH}:/snap/bin"

# What kubeadm must find instead of generating, so that a replacement control plane keeps
# the identity every node, token and kubeconfig already trusts.
PKI_FILES=(ca.crt ca.key sa.key sa.pub front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key)

log() { printf '%s control-plane-init: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Runs "$@" up to AWS_ATTEMPTS times, doubling the pause; a failure then ends the step.
retry() {
  local attempt=1 delay="$AWS_FIRST_DELAY_SECONDS"
  until "$@"; do
    ((attempt < AWS_ATTEMPTS)) || return 1
    log "attempt $attempt of $AWS_ATTEMPTS failed, retrying in ${delay}s: $1 $2 $3"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
  done
}

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
node_name_override="${NODE_NAME:-}"
node_ip_override="${NODE_IP:-}"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
if [[ -r "$NODE_ENV" ]]; then
  # shellcheck source=/dev/null
  source "$NODE_ENV"
fi
NODE_NAME="${node_name_override:-${NODE_NAME:-}}"
NODE_IP="${node_ip_override:-${NODE_IP:-}}"

for var in CLUSTER_NAME KUBERNETES_VERSION KUBEADM_API_VERSION CONTROL_PLANE_ENDPOINT_IP API_SERVER_PORT \
  API_SERVER_CERT_SANS POD_CIDR SERVICE_CIDR NODE_NAME NODE_IP; do
  [[ -n "${!var:-}" ]] || die "$var is not set (bootstrap env file or node env file)"
done
ipv4='([0-9]{1,3}\.){3}[0-9]{1,3}'
[[ "$CLUSTER_NAME" =~ ^[a-z]([a-z0-9-]*[a-z0-9])?$ ]] || die "CLUSTER_NAME '$CLUSTER_NAME' is not a DNS label"
[[ "$KUBERNETES_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KUBERNETES_VERSION '$KUBERNETES_VERSION' is not x.y.z"
[[ "$KUBEADM_API_VERSION" =~ ^kubeadm\.k8s\.io/v1beta[0-9]+$ ]] || die "KUBEADM_API_VERSION '$KUBEADM_API_VERSION' is not a kubeadm API"
[[ "$CONTROL_PLANE_ENDPOINT_IP" =~ ^${ipv4}$ ]] || die "CONTROL_PLANE_ENDPOINT_IP '$CONTROL_PLANE_ENDPOINT_IP' is not an IPv4 address"
[[ "$API_SERVER_PORT" =~ ^[0-9]+$ ]] || die "API_SERVER_PORT '$API_SERVER_PORT' is not a port"
[[ "$POD_CIDR" =~ ^${ipv4}/[0-9]{1,2}$ ]] || die "POD_CIDR '$POD_CIDR' is not an IPv4 CIDR block"
[[ "$SERVICE_CIDR" =~ ^${ipv4}/[0-9]{1,2}$ ]] || die "SERVICE_CIDR '$SERVICE_CIDR' is not an IPv4 CIDR block"
[[ "$NODE_NAME" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "NODE_NAME '$NODE_NAME' is not a DNS name"
[[ "$NODE_IP" =~ ^${ipv4}$ ]] || die "NODE_IP '$NODE_IP' is not an IPv4 address"
read -r -a cert_sans <<<"$API_SERVER_CERT_SANS"
for san in "${cert_sans[@]}"; do
  [[ "$san" =~ ^[A-Za-z0-9]([A-Za-z0-9.*-]*[A-Za-z0-9])?$ ]] || die "API_SERVER_CERT_SANS entry '$san' is not an address or DNS name"
done

# The kubeadm configuration (InitConfiguration, ClusterConfiguration and the cluster-wide
# KubeletConfiguration). v1beta4 gives extra arguments as name/value lists.
# The multi-line reasons live here rather than in the rendered file, which travels in the
# size-capped user-data (only whole-line comments outside here-documents are stripped):
#   controlPlaneEndpoint: the fixed private address survives replacing the instance;
#     workers and the cluster-info ConfigMap use it, so nodes never learn a new endpoint.
#   apiServer.certSANs: kubeadm adds the node name, the node IP, the first service address
#     and the kubernetes.default names itself; these are the addresses users and workers dial.
#   service-account-issuer: the issuer AWS trusts (infra/aws/oidc.ts): every new token
#     names it, and STS fetches the public keys from the JWKS URL. The second issuer is
#     kubeadm's default, so tokens signed before the switch stay valid until they expire
#     (the first signs).
#   api-audiences: the audiences the API server itself accepts, its own issuers, never
#     sts.amazonaws.com (a token for STS must not authenticate to the cluster).
#   controllerManager cloud-provider: kube-apiserver has no --cloud-provider flag since
#     1.33; the controller manager still needs it so that it leaves the cloud loops to the
#     external manager.
#   serverTLSBootstrap: every kubelet (kubeadm puts this document into the kubelet-config
#     ConfigMap that joining nodes read) asks the cluster CA for its serving certificate;
#     kubelet-serving-approver.sh approves the request when it matches the node's instance.
render_kubeadm_config() {
  [[ "${SERVICE_ACCOUNT_ISSUER_URL:-}" =~ ^https://[a-z0-9.-]+(/[A-Za-z0-9._/-]*[A-Za-z0-9._-])?$ ]] ||
    die "SERVICE_ACCOUNT_ISSUER_URL '${SERVICE_ACCOUNT_ISSUER_URL:-}' is not an https:// URL without a trailing '/'"
  cat <<EOF
# Rendered by control-plane-init.sh from the bootstrap env file; read once by kubeadm init.
apiVersion: ${KUBEADM_API_VERSION}
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: "${NODE_IP}"
  bindPort: ${API_SERVER_PORT}
nodeRegistration:
  name: "${NODE_NAME}"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    # The AWS cloud controller manager initialises the node (provider ID, addresses, zone).
    - name: cloud-provider
      value: external
    - name: node-ip
      value: "${NODE_IP}"
---
apiVersion: ${KUBEADM_API_VERSION}
kind: ClusterConfiguration
clusterName: "${CLUSTER_NAME}"
kubernetesVersion: "v${KUBERNETES_VERSION}"
controlPlaneEndpoint: "${CONTROL_PLANE_ENDPOINT_IP}:${API_SERVER_PORT}"
certificatesDir: /etc/kubernetes/pki
networking:
  dnsDomain: cluster.local
  podSubnet: "${POD_CIDR}"
  serviceSubnet: "${SERVICE_CIDR}"
etcd:
  local:
    dataDir: /var/lib/etcd
apiServer:
  # The Secrets encryption configuration (encryption-provider-config below), read-only.
  extraVolumes:
    - name: encryption-config
      hostPath: /etc/kubernetes/encryption
      mountPath: /etc/kubernetes/encryption
      readOnly: true
      pathType: DirectoryOrCreate
  certSANs:
EOF
  for san in "${cert_sans[@]}"; do
    printf '    - "%s"\n' "$san"
  done
  cat <<EOF
  extraArgs:
    - name: profiling
      value: "false"
    # Secrets are encrypted in etcd (and so in every snapshot); encryption-config.sh writes it.
    - name: encryption-provider-config
      value: /etc/kubernetes/encryption/config.yaml
    - name: service-account-issuer
      value: "${SERVICE_ACCOUNT_ISSUER_URL}"
    - name: service-account-issuer
      value: https://kubernetes.default.svc.cluster.local
    - name: service-account-jwks-uri
      value: "${SERVICE_ACCOUNT_ISSUER_URL}/openid/v1/jwks"
    - name: api-audiences
      value: "${SERVICE_ACCOUNT_ISSUER_URL},https://kubernetes.default.svc.cluster.local"
controllerManager:
  extraArgs:
    - name: cloud-provider
      value: external
    - name: profiling
      value: "false"
    # Reachable by the in-cluster Prometheus (authenticated port; the security groups keep it inside the cluster).
    - name: bind-address
      value: 0.0.0.0
scheduler:
  extraArgs:
    - name: profiling
      value: "false"
    - name: bind-address
      value: 0.0.0.0
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
serverTLSBootstrap: true
EOF
}

log "rendering the kubeadm configuration for node $NODE_NAME ($NODE_IP) to $KUBEADM_CONFIG"
mkdir -p "$(dirname "$KUBEADM_CONFIG")"
config_tmp="$(mktemp "${KUBEADM_CONFIG}.XXXXXX")"
render_kubeadm_config >"$config_tmp"
chmod 0600 "$config_tmp"
mv -f "$config_tmp" "$KUBEADM_CONFIG"
if [[ "$RENDER_ONLY" == 1 ]]; then
  log "RENDER_ONLY=1: wrote $KUBEADM_CONFIG, stopping here"
  exit 0
fi

for var in AWS_REGION PKI_SECRET_ARN ETCD_BACKUP_BUCKET ETCD_BACKUP_KMS_KEY_ARN ETCD_BACKUP_INTERVAL_MINUTES ETCD_BACKUP_KEEP; do
  [[ -n "${!var:-}" ]] || die "$var is not set in the bootstrap env file"
done
[[ "$ETCD_BACKUP_INTERVAL_MINUTES" =~ ^[1-9][0-9]*$ ]] || die "ETCD_BACKUP_INTERVAL_MINUTES '$ETCD_BACKUP_INTERVAL_MINUTES' is not a positive integer"
# The certificates name the fixed address; on any other interface the cluster would not be reachable by its name.
[[ "$NODE_IP" == "$CONTROL_PLANE_ENDPOINT_IP" ]] ||
  die "this node's primary address $NODE_IP is not the control-plane endpoint $CONTROL_PLANE_ENDPOINT_IP (is the fixed network interface attached as device 0?)"

# --- a half-finished kubeadm init is undone ------------------------------------------------
initialised=0
if [[ -f "$INIT_MARKER" ]]; then
  initialised=1
else
  leftovers=()
  for f in admin.conf super-admin.conf kubelet.conf controller-manager.conf scheduler.conf manifests/etcd.yaml manifests/kube-apiserver.yaml; do
    [[ -e "${ROOT_DIR}/etc/kubernetes/$f" ]] && leftovers+=("/etc/kubernetes/$f")
  done
  [[ -d "${ROOT_DIR}/var/lib/etcd/member" ]] && leftovers+=(/var/lib/etcd/member)
  if [[ "${#leftovers[@]}" -gt 0 ]]; then
    log "a previous kubeadm init did not finish (no $INIT_MARKER, but ${leftovers[*]} exist); resetting before the retry"
    kubeadm reset -f || die "kubeadm reset failed"
    # What kubeadm reset leaves (or, if it stopped early, did not get to): its kubeconfigs,
    # the static pod manifests and etcd's data. The PKI is installed again below.
    rm -rf "${ROOT_DIR}/etc/kubernetes/manifests" "${ROOT_DIR}/var/lib/etcd"
    rm -f "${ROOT_DIR}/etc/kubernetes/"{admin,super-admin,kubelet,controller-manager,scheduler}.conf
    log "reset done"
  fi
fi

# --- cluster PKI from Secrets Manager --------------------------------------------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"
log "fetching the cluster PKI from Secrets Manager ($PKI_SECRET_ARN)"
fetch_pki() {
  (umask 077 && aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$PKI_SECRET_ARN" \
    --query SecretString --output text >"$work/pki.json")
}
retry fetch_pki || die "could not read the PKI secret after $AWS_ATTEMPTS attempts"
for file in "${PKI_FILES[@]}"; do
  (umask 077 && jq -je --arg f "$file" '.[$f] // empty' <"$work/pki.json" >"$work/entry") ||
    die "the PKI secret has no entry for $file"
  target="${PKI_DIR}/${file}"
  if [[ -f "$target" ]] && cmp -s "$work/entry" "$target"; then
    log "pki/$file is up to date"
    continue
  fi
  if [[ "$initialised" == 1 && -f "$target" ]]; then
    die "pki/$file differs from the PKI secret on an initialised control plane; refusing to replace it (the PKI must not change under a running cluster)"
  fi
  install -D -m 0600 "$work/entry" "$target"
  log "installed pki/$file (mode 0600)"
done
# The key Secrets are encrypted with in etcd travels in the same secret (never in the log).
(umask 077 && jq -je '.["encryption-key"] // empty' <"$work/pki.json" >"$work/entry") ||
  die "the PKI secret has no encryption-key entry (Secrets encryption at rest)"
ENCRYPTION_KEY_LOCKED="$initialised" "${PLATFORM_BIN}/encryption-config.sh" "${ROOT_DIR}/etc/kubernetes/encryption/config.yaml" <"$work/entry" ||
  die "could not write the Secrets encryption configuration"
rm -f "$work/pki.json" "$work/entry"

# --- etcd from the newest snapshot, when this replaces a control plane -------------------
restored=0
newest_snapshot() {
  # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
  aws s3api list-objects-v2 --region "$AWS_REGION" --bucket "$ETCD_BACKUP_BUCKET" --prefix snapshots/ \
    --query 'sort_by(Contents || `[]`, &LastModified)[-1].Key' --output text >"$work/newest"
}
if [[ "$initialised" == 0 ]]; then
  retry newest_snapshot || die "could not list s3://${ETCD_BACKUP_BUCKET}/snapshots/ after $AWS_ATTEMPTS attempts"
  newest="$(cat "$work/newest")"
  if [[ -z "$newest" || "$newest" == None || "$newest" == null ]]; then
    log "no etcd snapshot in s3://${ETCD_BACKUP_BUCKET}/snapshots/: initialising a new cluster"
  else
    etcd_image="$(kubeadm config images list --config "$KUBEADM_CONFIG" 2>/dev/null | grep -m1 '/etcd:')" ||
      die "kubeadm did not list an etcd image for this configuration"
    log "this control plane replaces an earlier one: restoring etcd from ${newest} before kubeadm init"
    ETCD_IMAGE="$etcd_image" ETCD_RESTORE_DATA_ONLY=1 "${PLATFORM_BIN}/etcd-restore.sh" "${newest#snapshots/}" ||
      die "restoring etcd from $newest failed"
    restored=1
  fi
fi

# --- kubeadm init, once --------------------------------------------------------------
if [[ "$initialised" == 1 ]]; then
  log "the control plane is already initialised ($INIT_MARKER exists); skipping kubeadm init"
else
  # --skip-token-print keeps kubeadm's default bootstrap token out of the log; nodes
  # get their tokens from the join secret instead. On restored data kubeadm must accept
  # a non-empty etcd data directory; every later phase updates what the snapshot holds.
  init_args=(--config "$KUBEADM_CONFIG" --skip-token-print)
  [[ "$restored" == 1 ]] && init_args+=(--ignore-preflight-errors=DirAvailable--var-lib-etcd)
  if [[ "$restored" == 1 ]]; then log "running kubeadm init on the restored etcd data"; else log "running kubeadm init"; fi
  kubeadm init "${init_args[@]}" || die "kubeadm init failed; the next attempt resets this node first"
  mkdir -p "$(dirname "$INIT_MARKER")"
  printf 'INITIALISED_AT=%s\nRESTORED_FROM=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$([[ "$restored" == 1 ]] && echo "$newest" || echo none)" >"$INIT_MARKER"
  log "kubeadm init finished; wrote $INIT_MARKER"
fi

# --- etcd snapshots to S3 on a timer -----------------------------------------------------
units_changed=0
write_unit() {
  local target="${ROOT_DIR}/etc/systemd/system/$1" tmp
  mkdir -p "$(dirname "$target")"
  tmp="$(mktemp "${target}.XXXXXX")"
  cat >"$tmp"
  chmod 0644 "$tmp"
  if [[ -f "$target" ]] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    log "unit $1 is up to date"
  else
    mv -f "$tmp" "$target"
    units_changed=1
    log "wrote unit $1"
  fi
}
# etcd-backup.sh records every outcome for node-exporter's textfile collector; a run that
# is killed or never starts shows as a stale success time, which the alert covers too.
# The timer counts from its own start (each boot, and the first enable), so the first run
# cannot be missed when kubeadm init takes longer than a boot-relative delay.
write_unit etcd-backup.service <<EOF
[Unit]
Description=Snapshot etcd and upload the snapshot to s3://${ETCD_BACKUP_BUCKET}
After=containerd.service kubelet.service network-online.target
Wants=network-online.target
ConditionPathExists=/etc/kubernetes/manifests/etcd.yaml

[Service]
Type=oneshot
Environment=BOOTSTRAP_ENV=/etc/platform/bootstrap.env
ExecStart=${PLATFORM_BIN}/etcd-backup.sh
TimeoutStartSec=20min
EOF
write_unit etcd-backup.timer <<EOF
[Unit]
Description=Snapshot etcd every ${ETCD_BACKUP_INTERVAL_MINUTES} minutes

[Timer]
OnActiveSec=15min
OnUnitActiveSec=${ETCD_BACKUP_INTERVAL_MINUTES}min
RandomizedDelaySec=60

[Install]
WantedBy=timers.target
EOF
# --- join tokens and kubelet serving certificates: units ship verbatim in the user-data --
for unit in join-token-rotate.service join-token-rotate.timer kubelet-serving-approver.service; do
  [[ -r "${PLATFORM_UNITS}/${unit}" ]] || die "missing ${PLATFORM_UNITS}/${unit} (the user-data installs it)"
  write_unit "$unit" <"${PLATFORM_UNITS}/${unit}"
done

if [[ "$units_changed" == 1 ]]; then
  systemctl daemon-reload
fi
systemctl enable --now etcd-backup.timer
log "etcd snapshots every ${ETCD_BACKUP_INTERVAL_MINUTES} minutes to s3://${ETCD_BACKUP_BUCKET}/snapshots/"
systemctl enable --now join-token-rotate.timer
# Every kubelet, this node's included (its request is already waiting), gets its serving
# certificate once this approves it; until then logs, exec and metrics of that node fail.
systemctl enable --now kubelet-serving-approver.service
log "kubelet serving certificates are approved when they match their node's EC2 instance (journalctl -u kubelet-serving-approver)"
# The first token now rather than at the timer's first tick: workers are already polling.
# A failure here is not fatal; the timer retries and workers keep polling.
if [[ "$restored" == 1 ]]; then
  # The join secret holds a token newer than the snapshot, unknown to the restored
  # cluster, and the rotation state may call it fresh: forget it and write one now.
  rm -f "$JOIN_TOKEN_STATE"
  if ROTATE_FORCE=1 "${PLATFORM_BIN}/join-token-rotate.sh"; then
    log "join secret holds a token of the restored cluster"
  else
    log "WARNING: writing a join token for the restored cluster failed; join-token-rotate.timer retries it (journalctl -u join-token-rotate)"
  fi
elif systemctl start join-token-rotate.service; then
  log "join secret holds a current token"
else
  log "WARNING: the first join-token write failed; join-token-rotate.timer retries it (journalctl -u join-token-rotate)"
fi

log "control plane of cluster $CLUSTER_NAME is up at ${CONTROL_PLANE_ENDPOINT_IP}:${API_SERVER_PORT}"
