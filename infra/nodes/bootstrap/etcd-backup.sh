#!/usr/bin/env bash
# Takes one etcd snapshot and uploads it to this cluster's backup bucket (run by
# etcd-backup.timer on the control plane).
#
# etcdctl comes from the etcd image the static pod already runs (read from its
# manifest and run with `ctr`), so the client always matches the server and nothing
# extra is downloaded or installed on the node.
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   AWS_REGION, ETCD_BACKUP_BUCKET, ETCD_BACKUP_KMS_KEY_ARN
# Redirectable for the test harness: ROOT_DIR (prefix of every file path), SNAPSHOT_DIR;
# the AWS CLI honours AWS_ENDPOINT_URL.
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
ETCD_MANIFEST="${ROOT_DIR}/etc/kubernetes/manifests/etcd.yaml"
SNAPSHOT_DIR="${SNAPSHOT_DIR:-${ROOT_DIR}/var/lib/etcd-backup}"
PATH="${PATH}:/snap/bin"

log() { printf '%s etcd-backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
for var in AWS_REGION ETCD_BACKUP_BUCKET ETCD_BACKUP_KMS_KEY_ARN; do
  [[ -n "${!var:-}" ]] || die "$var is not set in the bootstrap env file"
done

[[ -r "$ETCD_MANIFEST" ]] || die "no etcd static pod manifest at $ETCD_MANIFEST; is this an initialised control plane?"
image="$(sed -n -E 's/^[[:space:]]*image:[[:space:]]*"?([^"[:space:]]+)"?[[:space:]]*$/\1/p' "$ETCD_MANIFEST" | head -n1)"
[[ -n "$image" ]] || die "could not read the etcd image from $ETCD_MANIFEST"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="etcd-${stamp}.db"
mkdir -p "$SNAPSHOT_DIR"
chmod 0700 "$SNAPSHOT_DIR"
# A snapshot holds every Secret of the cluster: never leave one behind on failure.
trap 'rm -f "${SNAPSHOT_DIR}/${name}" "${SNAPSHOT_DIR}/${name}.part"' EXIT

log "saving snapshot $name with etcdctl from $image"
ctr --namespace k8s.io run --rm --net-host \
  --mount "type=bind,src=${ROOT_DIR}/etc/kubernetes/pki,dst=/etc/kubernetes/pki,options=rbind:ro" \
  --mount "type=bind,src=${SNAPSHOT_DIR},dst=/backup,options=rbind:rw" \
  "$image" "etcd-backup-${stamp}" \
  etcdctl --endpoints=https://127.0.0.1:2379 \
  --cacert=/etc/kubernetes/pki/etcd/ca.crt \
  --cert=/etc/kubernetes/pki/apiserver-etcd-client.crt \
  --key=/etc/kubernetes/pki/apiserver-etcd-client.key \
  snapshot save "/backup/${name}" || die "etcdctl snapshot save failed"
[[ -s "${SNAPSHOT_DIR}/${name}" ]] || die "etcdctl reported success but ${SNAPSHOT_DIR}/${name} is missing or empty"
size="$(stat -c %s "${SNAPSHOT_DIR}/${name}")"

destination="s3://${ETCD_BACKUP_BUCKET}/snapshots/${name}"
log "uploading $size bytes to $destination"
aws s3 cp --region "$AWS_REGION" --only-show-errors \
  --sse aws:kms --sse-kms-key-id "$ETCD_BACKUP_KMS_KEY_ARN" \
  "${SNAPSHOT_DIR}/${name}" "$destination" || die "the upload to $destination failed"
log "snapshot $name uploaded; the bucket's lifecycle rules expire old ones"
