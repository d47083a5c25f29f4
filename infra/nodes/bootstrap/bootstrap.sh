#!/usr/bin/env bash
# Runs this node's bootstrap steps in order: BOOTSTRAP_STEPS from the env file names
# scripts beside this one (e.g. "node-prepare control-plane-init"). Started by
# platform-bootstrap.service at every boot; each step is idempotent, so a reboot
# half-way through simply finishes the job.
#
# The whole run has a deadline (BOOTSTRAP_TIMEOUT_MINUTES, default 40, inside the unit's
# TimeoutStartSec of 45 min): a step still running then is stopped and counts as failed,
# so a boot never hangs forever. What a failed step leads to is BOOTSTRAP_ON_FAILURE:
#   retry             (default; the control plane) exit 1: systemd restarts the unit, and
#                     the idempotent steps pick up where they stopped.
#   replace-instance  (worker pools) hand the instance back to its autoscaling group: mark
#                     it Unhealthy when the AWS CLI and the instance identity are at hand
#                     (fast, needs autoscaling:SetInstanceHealth), then power it off. The
#                     launch template's shutdown behaviour is "terminate", so the power-off
#                     alone makes the group replace it (no IAM, no AWS CLI needed): a
#                     worker whose preparation failed never stays InService.
#
# Redirectable for the test harness: ROOT_DIR (prefix of every file path), BOOTSTRAP_ENV,
# PLATFORM_BIN (where the steps live; default: this script's directory), IMDS_ENDPOINT.
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
PLATFORM_BIN="${PLATFORM_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
NODE_ENV="${ROOT_DIR}/etc/platform/node.env"
IMDS_ENDPOINT="${IMDS_ENDPOINT:-http://169.254.169.254}"
export ROOT_DIR BOOTSTRAP_ENV PLATFORM_BIN
PATH="${PATH}:/snap/bin"

log() { printf '%s bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# This instance's id: from node-prepare.sh's node env file, else straight from IMDSv2
# (a step may have failed before node-prepare.sh wrote it). Empty when neither answers.
instance_id() {
  local id="" token
  if [[ -r "$NODE_ENV" ]]; then
    id="$(sed -n "s/^INSTANCE_ID='\{0,1\}\([a-z0-9-]*\)'\{0,1\}$/\1/p" "$NODE_ENV")"
  fi
  if [[ -z "$id" ]] && token="$(curl -fsS --retry 3 --max-time 5 -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "${IMDS_ENDPOINT}/latest/api/token" 2>/dev/null)"; then
    id="$(curl -fsS --retry 3 --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" \
      "${IMDS_ENDPOINT}/latest/meta-data/instance-id" 2>/dev/null || true)"
  fi
  [[ "$id" =~ ^i-[0-9a-f]+$ ]] && printf '%s\n' "$id"
  return 0
}

# BOOTSTRAP_ON_FAILURE=replace-instance: never returns; the instance goes away.
hand_back_instance() {
  local id
  id="$(instance_id)"
  log "ERROR: $*; handing instance ${id:-<unknown id>} back to its autoscaling group for a replacement"
  if [[ -n "$id" && -n "${AWS_REGION:-}" ]] && command -v aws >/dev/null; then
    log "marking instance $id Unhealthy so that its autoscaling group replaces it"
    aws autoscaling set-instance-health --region "$AWS_REGION" --instance-id "$id" \
      --health-status Unhealthy --no-should-respect-grace-period ||
      log "could not mark the instance Unhealthy; powering off is enough (shutdown behaviour terminate)"
  fi
  log "powering off (the launch template terminates the instance on shutdown)"
  systemctl poweroff --no-block || die "could not power off"
  exit 1
}

fail() {
  if [[ "${BOOTSTRAP_ON_FAILURE:-retry}" == replace-instance ]]; then
    hand_back_instance "$@"
  fi
  die "$*; platform-bootstrap.service retries"
}

[[ -r "$BOOTSTRAP_ENV" ]] || fail "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
BOOTSTRAP_ON_FAILURE="${BOOTSTRAP_ON_FAILURE:-retry}"
BOOTSTRAP_TIMEOUT_MINUTES="${BOOTSTRAP_TIMEOUT_MINUTES:-40}"
[[ "$BOOTSTRAP_ON_FAILURE" =~ ^(retry|replace-instance)$ ]] ||
  die "BOOTSTRAP_ON_FAILURE '$BOOTSTRAP_ON_FAILURE' is not retry or replace-instance"
[[ "$BOOTSTRAP_TIMEOUT_MINUTES" =~ ^[1-9][0-9]*$ ]] || fail "BOOTSTRAP_TIMEOUT_MINUTES '$BOOTSTRAP_TIMEOUT_MINUTES' is not a positive integer"
[[ -n "${BOOTSTRAP_STEPS:-}" ]] || fail "BOOTSTRAP_STEPS must be set in the bootstrap env file"
read -r -a steps <<<"$BOOTSTRAP_STEPS"
# BOOTSTRAP_TIMEOUT_SECONDS: for the test harness, which cannot wait minutes.
deadline=$((SECONDS + ${BOOTSTRAP_TIMEOUT_SECONDS:-$((BOOTSTRAP_TIMEOUT_MINUTES * 60))}))

for step in "${steps[@]}"; do
  [[ "$step" =~ ^[a-z0-9][a-z0-9-]*$ ]] || fail "bad step name '$step' in BOOTSTRAP_STEPS"
  script="${PLATFORM_BIN}/${step}.sh"
  [[ -x "$script" ]] || fail "step $step has no executable script at $script"
  remaining=$((deadline - SECONDS))
  ((remaining > 0)) || fail "the bootstrap deadline passed before step $step"
  log "step $step: starting (at most ${remaining}s left)"
  status=0
  timeout --kill-after=30 "$remaining" "$script" || status=$?
  if ((status == 124 || status == 137)); then
    fail "step $step did not finish within the bootstrap deadline (${BOOTSTRAP_TIMEOUT_MINUTES} min)"
  elif ((status != 0)); then
    fail "step $step failed (exit $status; its log lines are above)"
  fi
  log "step $step: done"
done
log "all steps done: ${steps[*]}"
