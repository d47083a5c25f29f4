#!/usr/bin/env bash
# Takes one etcd snapshot and uploads it to this cluster's backup bucket (run by
# etcd-backup.timer on the control plane).
#
# etcdctl comes from the etcd image the static pod already runs (read from its
# manifest and run with `ctr`), so the client always matches the server and nothing
# extra is downloaded or installed on the node.
#
# Retention: after an upload the newest ETCD_BACKUP_KEEP snapshots stay current and
# older ones are deleted. The bucket is versioned and this node may not delete versions,
# so a delete only hides a snapshot (it stays recoverable until the bucket's lifecycle
# expires noncurrent versions); nothing expires by age alone, so when backups stop, the
# last ETCD_BACKUP_KEEP snapshots stay, however old.
#
# Every run records its outcome for node-exporter's textfile collector
# ($METRICS_DIR/etcd_backup.prom): etcd_backup_last_success_timestamp_seconds,
# etcd_backup_last_attempt_timestamp_seconds, etcd_backup_last_attempt_success,
# etcd_backup_last_size_bytes and etcd_backup_interval_seconds. Prometheus alerts when the success time goes stale or
# the last attempt failed (charts/prometheus/rules.ts, EtcdBackupMissing/EtcdBackupFailed).
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   AWS_REGION, ETCD_BACKUP_BUCKET, ETCD_BACKUP_KMS_KEY_ARN, ETCD_BACKUP_KEEP
# Redirectable for the test harness: ROOT_DIR (prefix of every file path), SNAPSHOT_DIR,
# METRICS_DIR, ETCD_ENDPOINT (default https://127.0.0.1:2379); the AWS CLI honours
# AWS_ENDPOINT_URL.
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
ETCD_MANIFEST="${ROOT_DIR}/etc/kubernetes/manifests/etcd.yaml"
SNAPSHOT_DIR="${SNAPSHOT_DIR:-${ROOT_DIR}/var/lib/etcd-backup}"
METRICS_DIR="${METRICS_DIR:-${ROOT_DIR}/var/lib/node-exporter/textfile}"
ETCD_ENDPOINT="${ETCD_ENDPOINT:-https://127.0.0.1:2379}"
PATH="${PATH}:/snap/bin"

log() { printf '%s etcd-backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- the outcome, for Prometheus (written on every exit, success or not) ------------------
started="$(date -u +%s)"
size=0
record_outcome() {
  local code="$1" metrics="${METRICS_DIR}/etcd_backup.prom" last_success=0 ok=0 tmp
  mkdir -p "$METRICS_DIR"
  if [[ -r "$metrics" ]]; then
    last_success="$(sed -n 's/^etcd_backup_last_success_timestamp_seconds \([0-9]*\)$/\1/p' "$metrics")"
  fi
  if [[ "$code" == 0 ]]; then
    ok=1
    last_success="$(date -u +%s)"
  fi
  local interval="${ETCD_BACKUP_INTERVAL_MINUTES:-60}"
  [[ "$interval" =~ ^[0-9]+$ ]] || interval=60
  tmp="$(mktemp "${metrics}.XXXXXX")"
  cat >"$tmp" <<EOF
# HELP etcd_backup_last_success_timestamp_seconds When the last etcd snapshot was uploaded (0: never on this node).
# TYPE etcd_backup_last_success_timestamp_seconds gauge
etcd_backup_last_success_timestamp_seconds ${last_success:-0}
# HELP etcd_backup_last_attempt_timestamp_seconds When etcd-backup.sh last started.
# TYPE etcd_backup_last_attempt_timestamp_seconds gauge
etcd_backup_last_attempt_timestamp_seconds ${started}
# HELP etcd_backup_last_attempt_success Whether the last attempt uploaded a snapshot (1) or failed (0).
# TYPE etcd_backup_last_attempt_success gauge
etcd_backup_last_attempt_success ${ok}
# HELP etcd_backup_last_size_bytes Size of the last uploaded snapshot.
# TYPE etcd_backup_last_size_bytes gauge
etcd_backup_last_size_bytes ${size}
# HELP etcd_backup_interval_seconds How often etcd-backup.timer runs.
# TYPE etcd_backup_interval_seconds gauge
etcd_backup_interval_seconds $((interval * 60))
EOF
  chmod 0644 "$tmp"
  mv -f "$tmp" "$metrics"
}

trap 'record_outcome $?' EXIT
[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
for var in AWS_REGION ETCD_BACKUP_BUCKET ETCD_BACKUP_KMS_KEY_ARN ETCD_BACKUP_KEEP; do
  [[ -n "${!var:-}" ]] || die "$var is not set in the bootstrap env file"
done
[[ "$ETCD_BACKUP_KEEP" =~ ^[1-9][0-9]*$ ]] || die "ETCD_BACKUP_KEEP '$ETCD_BACKUP_KEEP' is not a positive integer"

[[ -r "$ETCD_MANIFEST" ]] || die "no etcd static pod manifest at $ETCD_MANIFEST; is this an initialised control plane?"
image="$(sed -n -E 's/^[[:space:]]*image:[[:space:]]*"?([^"[:space:]]+)"?[[:space:]]*$/\1/p' "$ETCD_MANIFEST" | head -n1)"
[[ -n "$image" ]] || die "could not read the etcd image from $ETCD_MANIFEST"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="etcd-${stamp}.db"
mkdir -p "$SNAPSHOT_DIR"
chmod 0700 "$SNAPSHOT_DIR"
# A snapshot holds every Secret of the cluster: never leave one behind on failure.
trap 'code=$?; rm -f "${SNAPSHOT_DIR}/${name}" "${SNAPSHOT_DIR}/${name}.part"; record_outcome "$code"' EXIT

log "saving snapshot $name with etcdctl from $image"
ctr --namespace k8s.io run --rm --net-host \
  --mount "type=bind,src=${ROOT_DIR}/etc/kubernetes/pki,dst=/etc/kubernetes/pki,options=rbind:ro" \
  --mount "type=bind,src=${SNAPSHOT_DIR},dst=/backup,options=rbind:rw" \
  "$image" "etcd-backup-${stamp}" \
  etcdctl --endpoints="$ETCD_ENDPOINT" \
  --cacert=/etc/kubernetes/pki/etcd/ca.crt \
  --cert=/etc/kubernetes/pki/apiserver-etcd-client.crt \
  --key=/etc/kubernetes/pki/apiserver-etcd-client.key \
  snapshot save "/backup/${name}" || die "etcdctl snapshot save failed"
[[ -s "${SNAPSHOT_DIR}/${name}" ]] || die "etcdctl reported success but ${SNAPSHOT_DIR}/${name} is missing or empty"
size="$(stat -c %s "${SNAPSHOT_DIR}/${name}")"

destination="s3://${ETCD_BACKUP_BUCKET}/snapshots/${name}"
log "uploading $size bytes to $destination"
upload() {
  aws s3 cp --region "$AWS_REGION" --only-show-errors \
    --sse aws:kms --sse-kms-key-id "$ETCD_BACKUP_KMS_KEY_ARN" \
    "${SNAPSHOT_DIR}/${name}" "$destination"
}
upload || { sleep 10 && upload; } || { sleep 30 && upload; } || die "the upload to $destination failed (3 attempts)"
log "snapshot $name uploaded"

# --- keep the newest ETCD_BACKUP_KEEP ------------------------------------------------------
# Names sort by time (etcd-<UTC time>.db). A failure here leaves extra snapshots, never fewer.
all=()
# shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
if keys="$(aws s3api list-objects-v2 --region "$AWS_REGION" --bucket "$ETCD_BACKUP_BUCKET" --prefix snapshots/etcd- \
  --query 'sort_by(Contents || `[]`, &Key)[].Key' --output text)"; then
  read -r -a all <<<"${keys//None/}"
  excess=$((${#all[@]} - ETCD_BACKUP_KEEP))
  for ((i = 0; i < excess; i++)); do
    if aws s3 rm --region "$AWS_REGION" --only-show-errors "s3://${ETCD_BACKUP_BUCKET}/${all[i]}"; then
      log "retired ${all[i]} (beyond the newest $ETCD_BACKUP_KEEP; its version stays until the lifecycle expires it)"
    else
      log "WARNING: could not retire ${all[i]}; the next run tries again"
    fi
  done
else
  log "WARNING: could not list the snapshots to apply retention; the next run tries again"
fi
log "done: ${#all[@]} snapshots before retention, keeping the newest $ETCD_BACKUP_KEEP"
