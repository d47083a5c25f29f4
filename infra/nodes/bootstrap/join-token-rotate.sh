#!/usr/bin/env bash
# Keeps a valid kubeadm bootstrap token in the cluster's join secret, so that worker
# nodes can join at any time without a token in their user-data. Runs on the control
# plane: once right after `kubeadm init`, then from join-token-rotate.timer (hourly).
# A run writes a fresh token only when one is due (no token written by this node yet,
# or the last one is JOIN_TOKEN_ROTATION_HOURS old); an hourly tick therefore also
# retries a failed write. Old tokens are left to expire on their own (their TTL), so a
# worker that read the previous token can still finish joining.
#
# Writes {token, caCertHash, endpoint, expiresAt} (expiresAt in RFC 3339 UTC) with
# `aws secretsmanager put-secret-value`, retrying with exponential backoff.
#
# The token never reaches a log, a command line or a file other than one of mode 0600
# that is removed on exit: it travels from kubeadm's stdout into a shell variable,
# from there through the printf builtin into that file, and the AWS CLI reads the file.
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   AWS_REGION, JOIN_SECRET_ARN, CONTROL_PLANE_ENDPOINT_IP, API_SERVER_PORT,
#   JOIN_TOKEN_TTL_HOURS (1-24), JOIN_TOKEN_ROTATION_HOURS (at most half the TTL)
# Options: ROTATE_FORCE=1 writes a token even when none is due.
# Redirectable for the test harness: ROOT_DIR (prefix of every file path), STATE_FILE,
# PUT_ATTEMPTS, PUT_FIRST_DELAY_SECONDS; the AWS CLI honours AWS_ENDPOINT_URL.
set -euo pipefail
# This script holds a secret in a variable: never trace it, even if started with `bash -x`.
set +o xtrace

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
STATE_FILE="${STATE_FILE:-${ROOT_DIR}/var/lib/platform/join-token.state}"
ADMIN_KUBECONFIG="${ROOT_DIR}/etc/kubernetes/admin.conf"
CA_CERT="${ROOT_DIR}/etc/kubernetes/pki/ca.crt"
ROTATE_FORCE="${ROTATE_FORCE:-0}"
PUT_ATTEMPTS="${PUT_ATTEMPTS:-6}"
PUT_FIRST_DELAY_SECONDS="${PUT_FIRST_DELAY_SECONDS:-5}"
# Timer ticks are randomised by a few minutes; a token this close to due counts as due.
DUE_SLACK_SECONDS=600
PATH="${PATH}:/snap/bin"

log() { printf '%s join-token-rotate: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
for var in AWS_REGION JOIN_SECRET_ARN CONTROL_PLANE_ENDPOINT_IP API_SERVER_PORT JOIN_TOKEN_TTL_HOURS JOIN_TOKEN_ROTATION_HOURS; do
  [[ -n "${!var:-}" ]] || die "$var is not set in the bootstrap env file"
done
if ! [[ "$JOIN_TOKEN_TTL_HOURS" =~ ^[0-9]+$ ]] || ((JOIN_TOKEN_TTL_HOURS < 1 || JOIN_TOKEN_TTL_HOURS > 24)); then
  die "JOIN_TOKEN_TTL_HOURS '$JOIN_TOKEN_TTL_HOURS' is not an integer from 1 to 24"
fi
if ! [[ "$JOIN_TOKEN_ROTATION_HOURS" =~ ^[0-9]+$ ]] || ((JOIN_TOKEN_ROTATION_HOURS < 1 || JOIN_TOKEN_ROTATION_HOURS >= JOIN_TOKEN_TTL_HOURS)); then
  die "JOIN_TOKEN_ROTATION_HOURS '$JOIN_TOKEN_ROTATION_HOURS' is not an integer from 1 to below JOIN_TOKEN_TTL_HOURS ($JOIN_TOKEN_TTL_HOURS)"
fi
[[ "$CONTROL_PLANE_ENDPOINT_IP" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "CONTROL_PLANE_ENDPOINT_IP '$CONTROL_PLANE_ENDPOINT_IP' is not an IPv4 address"
[[ "$API_SERVER_PORT" =~ ^[0-9]+$ ]] || die "API_SERVER_PORT '$API_SERVER_PORT' is not a port"
[[ "$PUT_ATTEMPTS" =~ ^[1-9][0-9]*$ ]] || die "PUT_ATTEMPTS '$PUT_ATTEMPTS' is not a positive integer"
[[ "$PUT_FIRST_DELAY_SECONDS" =~ ^[0-9]+$ ]] || die "PUT_FIRST_DELAY_SECONDS '$PUT_FIRST_DELAY_SECONDS' is not an integer"
endpoint="${CONTROL_PLANE_ENDPOINT_IP}:${API_SERVER_PORT}"

# --- due? ---------------------------------------------------------------------------
now="$(date -u +%s)"
last_written=0
if [[ -r "$STATE_FILE" ]]; then
  last_written="$(sed -n 's/^WRITTEN_AT_EPOCH=\([0-9]*\)$/\1/p' "$STATE_FILE")"
  last_written="${last_written:-0}"
fi
age=$((now - last_written))
if [[ "$ROTATE_FORCE" != 1 ]] && ((last_written > 0 && age < JOIN_TOKEN_ROTATION_HOURS * 3600 - DUE_SLACK_SECONDS)); then
  log "the token written $((age / 60)) minutes ago is not due for rotation (every ${JOIN_TOKEN_ROTATION_HOURS}h); nothing to do"
  exit 0
fi

[[ -r "$ADMIN_KUBECONFIG" ]] || die "$ADMIN_KUBECONFIG is missing: the control plane is not initialised yet"
[[ -r "$CA_CERT" ]] || die "$CA_CERT is missing"

# --- the CA public key pin workers verify the API server against ------------------------
# SHA-256 of the CA's DER SubjectPublicKeyInfo (RFC 7469), as kubeadm expects in
# caCertHashes; `pkey` handles RSA and ECDSA CA keys alike.
ca_hash="$(openssl x509 -in "$CA_CERT" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)" ||
  die "could not compute the public key hash of $CA_CERT"
[[ "$ca_hash" =~ ^[0-9a-f]{64}$ ]] || die "openssl did not produce a SHA-256 hash for $CA_CERT"

# --- a fresh token ------------------------------------------------------------------------
# Taken before the token exists, so the recorded expiry is never later than the real one.
expires_at="$(date -u -d "@$((now + JOIN_TOKEN_TTL_HOURS * 3600))" +%Y-%m-%dT%H:%M:%SZ)"
log "creating a bootstrap token valid for ${JOIN_TOKEN_TTL_HOURS}h (until $expires_at)"
token="$(kubeadm token create --kubeconfig "$ADMIN_KUBECONFIG" --ttl "${JOIN_TOKEN_TTL_HOURS}h0m0s" \
  --description "worker join token, written to the join secret by join-token-rotate.sh")" ||
  die "kubeadm token create failed"
# kubeadm prints only the token; anything else would be an unexpected output we must not store (or print).
[[ "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "kubeadm token create printed something that is not a bootstrap token"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"
(
  umask 077
  printf '{"token":"%s","caCertHash":"sha256:%s","endpoint":"%s","expiresAt":"%s"}\n' \
    "$token" "$ca_hash" "$endpoint" "$expires_at" >"$work/join.json"
)

# --- write it, retrying with backoff -------------------------------------------------------
attempt=1
delay="$PUT_FIRST_DELAY_SECONDS"
while :; do
  if aws secretsmanager put-secret-value --region "$AWS_REGION" --secret-id "$JOIN_SECRET_ARN" \
    --secret-string "file://$work/join.json" --query VersionId --output text >/dev/null 2>"$work/error"; then
    break
  fi
  # The AWS CLI does not echo parameter values in its errors; redact anyway, in case a future one does.
  error="$(tr '\n' ' ' <"$work/error")"
  error="${error//"$token"/<redacted>}"
  log "writing the join secret failed (attempt $attempt of $PUT_ATTEMPTS): ${error:-no error message}"
  if ((attempt >= PUT_ATTEMPTS)); then
    die "gave up writing the join secret $JOIN_SECRET_ARN after $PUT_ATTEMPTS attempts; the next timer run retries (the token expires unused at $expires_at)"
  fi
  sleep "$delay"
  attempt=$((attempt + 1))
  delay=$((delay * 2))
done
unset token

mkdir -p "$(dirname "$STATE_FILE")"
printf 'WRITTEN_AT_EPOCH=%s\nEXPIRES_AT=%s\n' "$now" "$expires_at" >"$STATE_FILE"
log "wrote a fresh bootstrap token to the join secret $JOIN_SECRET_ARN (endpoint $endpoint, expires $expires_at)"
