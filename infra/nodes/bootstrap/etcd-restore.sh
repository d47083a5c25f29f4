#!/usr/bin/env bash
# Restores this control plane's etcd from a snapshot in the cluster's backup bucket.
# Run by hand as root in a Session Manager shell (README "Restore etcd from a snapshot"):
#   /opt/platform/bin/etcd-restore.sh latest
#   /opt/platform/bin/etcd-restore.sh etcd-20260101T120000Z.db
# and by control-plane-init.sh on a replacement control plane, before `kubeadm init`
# (ETCD_RESTORE_DATA_ONLY=1: nothing runs yet, so only the data directory is written,
# with etcdutl from ETCD_IMAGE, the image kubeadm is about to run).
#
# Steps: download the snapshot; stop kube-apiserver and etcd (their static pod manifests
# are moved aside, so the kubelet stops them); keep the current data directory as
# /var/lib/etcd.before-restore-<time>; restore with etcdutl from the etcd image the
# static pod runs (so the tool matches the server); put the manifests back; wait until
# the API server answers /readyz; restart the controller manager and the scheduler so they
# drop their cached view of the old state; write a fresh join token (ROTATE_FORCE=1
# join-token-rotate.sh: the token in the join secret is newer than the snapshot, so the
# restored cluster does not know it, while the rotation state calls it fresh). The member
# keeps its name and peer URL (the node name and the fixed private address), so the
# restored single-member cluster is the same one.
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   AWS_REGION, ETCD_BACKUP_BUCKET; NODE_NAME, NODE_IP from /etc/platform/node.env.
# Redirectable for the test harness: ROOT_DIR (prefix of every file path), SNAPSHOT_DIR,
# WAIT_SECONDS (how long to wait for pods to stop and the API to come back, default 300),
# POLL_SECONDS (default 5), PLATFORM_BIN; the AWS CLI honours AWS_ENDPOINT_URL.
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
NODE_ENV="${ROOT_DIR}/etc/platform/node.env"
MANIFESTS="${ROOT_DIR}/etc/kubernetes/manifests"
STOPPED="${ROOT_DIR}/etc/kubernetes/manifests-stopped-for-restore"
DATA_DIR="${ROOT_DIR}/var/lib/etcd"
SNAPSHOT_DIR="${SNAPSHOT_DIR:-${ROOT_DIR}/var/lib/etcd-backup}"
ADMIN_KUBECONFIG="${ROOT_DIR}/etc/kubernetes/admin.conf"
WAIT_SECONDS="${WAIT_SECONDS:-300}"
POLL_SECONDS="${POLL_SECONDS:-5}"
PLATFORM_BIN="${PLATFORM_BIN:-/opt/platform/bin}"
ETCD_RESTORE_DATA_ONLY="${ETCD_RESTORE_DATA_ONLY:-0}"
ETCD_IMAGE="${ETCD_IMAGE:-}"
PATH="${PATH}:/snap/bin"

log() { printf '%s etcd-restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 <latest | etcd-YYYYMMDDTHHMMSSZ.db>"
wanted="$1"
[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
[[ -r "$NODE_ENV" ]] || die "cannot read $NODE_ENV (written by node-prepare.sh)"
# shellcheck source=/dev/null
source "$NODE_ENV"
for var in AWS_REGION ETCD_BACKUP_BUCKET NODE_NAME NODE_IP; do
  [[ -n "${!var:-}" ]] || die "$var is not set"
done
[[ "$WAIT_SECONDS" =~ ^[0-9]+$ && "$POLL_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "WAIT_SECONDS and POLL_SECONDS must be whole seconds"

# Waits until "$@" succeeds, polling; fails after WAIT_SECONDS.
wait_for() {
  local what="$1" deadline=$((SECONDS + WAIT_SECONDS))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${WAIT_SECONDS}s waiting for $what"
    sleep "$POLL_SECONDS"
  done
}

# --- which snapshot --------------------------------------------------------------------
if [[ "$wanted" == latest ]]; then
  # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
  key="$(aws s3api list-objects-v2 --region "$AWS_REGION" --bucket "$ETCD_BACKUP_BUCKET" --prefix snapshots/ \
    --query 'sort_by(Contents || `[]`, &LastModified)[-1].Key' --output text)" || die "could not list s3://${ETCD_BACKUP_BUCKET}/snapshots/"
  [[ -n "$key" && "$key" != None ]] || die "s3://${ETCD_BACKUP_BUCKET}/snapshots/ holds no snapshot"
  wanted="${key#snapshots/}"
fi
[[ "$wanted" =~ ^etcd-[0-9]{8}T[0-9]{6}Z\.db$ ]] || die "'$wanted' is not a snapshot name like etcd-20260101T120000Z.db"

mkdir -p "$SNAPSHOT_DIR"
chmod 0700 "$SNAPSHOT_DIR"
local_copy="${SNAPSHOT_DIR}/restore-${wanted}"
trap 'rm -f "$local_copy"' EXIT
log "downloading s3://${ETCD_BACKUP_BUCKET}/snapshots/${wanted}"
download() { (umask 077 && aws s3 cp --region "$AWS_REGION" --only-show-errors "s3://${ETCD_BACKUP_BUCKET}/snapshots/${wanted}" "$local_copy"); }
download || { sleep "$POLL_SECONDS" && download; } || { sleep "$((POLL_SECONDS * 4))" && download; } ||
  die "could not download s3://${ETCD_BACKUP_BUCKET}/snapshots/${wanted}"
[[ -s "$local_copy" ]] || die "the downloaded snapshot is empty"

# Restores the snapshot into $DATA_DIR with etcdutl from image $1.
restore_data_dir() {
  local image="$1"
  if [[ -d "$DATA_DIR" ]]; then
    kept="${DATA_DIR}.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$DATA_DIR" "$kept"
    log "kept the current data directory as $kept"
  fi
  mkdir -p "$(dirname "$DATA_DIR")"
  log "restoring $wanted as member $NODE_NAME (https://${NODE_IP}:2380) with etcdutl from $image"
  # --bump-revision/--mark-compacted: revisions must not go backwards for the API
  # server's watch caches and every controller's informers (Kubernetes' restore guidance).
  ctr --namespace k8s.io run --rm \
    --mount "type=bind,src=${SNAPSHOT_DIR},dst=/backup,options=rbind:ro" \
    --mount "type=bind,src=$(dirname "$DATA_DIR"),dst=/restore,options=rbind:rw" \
    "$image" "etcd-restore-$(date -u +%Y%m%dT%H%M%SZ)" \
    etcdutl snapshot restore "/backup/restore-${wanted}" \
    --data-dir "/restore/$(basename "$DATA_DIR")" \
    --name "$NODE_NAME" \
    --initial-cluster "${NODE_NAME}=https://${NODE_IP}:2380" \
    --initial-advertise-peer-urls "https://${NODE_IP}:2380" \
    --bump-revision 1000000000 --mark-compacted || return 1
  [[ -d "$DATA_DIR" ]] || die "etcdutl did not create $DATA_DIR"
  chmod 0700 "$DATA_DIR"
}

if [[ "$ETCD_RESTORE_DATA_ONLY" == 1 ]]; then
  [[ -n "$ETCD_IMAGE" ]] || die "ETCD_RESTORE_DATA_ONLY=1 needs ETCD_IMAGE (the etcd image kubeadm runs)"
  [[ ! -e "${MANIFESTS}/etcd.yaml" ]] || die "an etcd manifest exists: this control plane runs; restore without ETCD_RESTORE_DATA_ONLY"
  pull() { ctr --namespace k8s.io image pull "$ETCD_IMAGE" >/dev/null; }
  pull || { sleep "$POLL_SECONDS" && pull; } || { sleep "$((POLL_SECONDS * 4))" && pull; } || die "could not pull $ETCD_IMAGE"
  restore_data_dir "$ETCD_IMAGE" || die "etcdutl snapshot restore failed"
  log "restored $wanted into $DATA_DIR; kubeadm init starts etcd on it"
  exit 0
fi

# --- stop the API server and etcd ----------------------------------------------------
mkdir -p "$STOPPED"
for pod in etcd kube-apiserver; do
  if [[ -f "${MANIFESTS}/${pod}.yaml" ]]; then
    mv "${MANIFESTS}/${pod}.yaml" "${STOPPED}/${pod}.yaml"
    log "moved the $pod manifest aside; the kubelet stops the pod"
  elif [[ -f "${STOPPED}/${pod}.yaml" ]]; then
    log "the $pod manifest is already aside (an earlier attempt)"
  else
    die "no $pod manifest in ${MANIFESTS} or ${STOPPED}; is this an initialised control plane?"
  fi
done
image="$(sed -n -E 's/^[[:space:]]*image:[[:space:]]*"?([^"[:space:]]+)"?[[:space:]]*$/\1/p' "${STOPPED}/etcd.yaml" | head -n1)"
[[ -n "$image" ]] || die "could not read the etcd image from ${STOPPED}/etcd.yaml"
pods_stopped() { [[ -z "$(crictl ps --quiet --name '^(etcd|kube-apiserver)$')" ]]; }
wait_for "etcd and kube-apiserver to stop" pods_stopped
log "etcd and kube-apiserver have stopped"

# --- restore ---------------------------------------------------------------------------
restore_data_dir "$image" || die "etcdutl snapshot restore failed; the manifests stay in $STOPPED and the old data beside $DATA_DIR"

# --- start them again ------------------------------------------------------------------
for pod in etcd kube-apiserver; do
  mv "${STOPPED}/${pod}.yaml" "${MANIFESTS}/${pod}.yaml"
  log "put the $pod manifest back"
done
rmdir "$STOPPED" 2>/dev/null || true
api_ready() { kubectl --kubeconfig "$ADMIN_KUBECONFIG" get --raw=/readyz >/dev/null 2>&1; }
wait_for "the API server to answer /readyz" api_ready
# The controller manager and scheduler still hold the pre-restore state in their caches;
# stopping their containers makes the kubelet start them afresh from the restored data.
for component in kube-controller-manager kube-scheduler; do
  mapfile -t ids < <(crictl ps --quiet --name "^${component}\$")
  if [[ "${#ids[@]}" -gt 0 ]]; then
    crictl stop "${ids[@]}" >/dev/null
    log "restarted $component"
  fi
done
# Workers joining from now on need a token this cluster knows.
ROTATE_FORCE=1 "${PLATFORM_BIN}/join-token-rotate.sh" ||
  log "WARNING: writing a fresh join token failed; run ROTATE_FORCE=1 ${PLATFORM_BIN}/join-token-rotate.sh again"
log "restored $wanted; the API server is ready (old data kept beside $DATA_DIR)"
