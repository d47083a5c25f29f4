#!/usr/bin/env bash
# Runs this node's bootstrap steps in order: BOOTSTRAP_STEPS from the env file names
# scripts beside this one (e.g. "node-prepare control-plane-init"). Started by
# platform-bootstrap.service at every boot; each step is idempotent, so a reboot
# half-way through simply finishes the job.
#
# Redirectable for the test harness: ROOT_DIR (prefix of every file path), BOOTSTRAP_ENV,
# PLATFORM_BIN (where the steps live; default: this script's directory).
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
PLATFORM_BIN="${PLATFORM_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
export ROOT_DIR BOOTSTRAP_ENV PLATFORM_BIN

log() { printf '%s bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
: "${BOOTSTRAP_STEPS:?must be set in the bootstrap env file}"
read -r -a steps <<<"$BOOTSTRAP_STEPS"

for step in "${steps[@]}"; do
  [[ "$step" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "bad step name '$step' in BOOTSTRAP_STEPS"
  script="${PLATFORM_BIN}/${step}.sh"
  [[ -x "$script" ]] || die "step $step has no executable script at $script"
  log "step $step: starting"
  "$script"
  log "step $step: done"
done
log "all steps done: ${steps[*]}"
