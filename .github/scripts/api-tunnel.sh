#!/usr/bin/env bash
# Opens (and closes) a tunnel from this machine to the cluster's API server through an
# AWS Systems Manager port-forwarding session to the control-plane instance, so CI
# reaches the API server without `apiAllowedCidrs` ever naming a runner address:
#
#   api-tunnel.sh start <control-plane instance id> [local port]
#   api-tunnel.sh stop
#
# `start` runs `aws ssm start-session --document-name AWS-StartPortForwardingSession`
# (6443 on the instance -> 127.0.0.1:<local port>, default 6443) in the background, waits
# until the instance's agent is online and the local port answers, and returns; the
# session keeps running for the later steps of the job. Pulumi then reaches
# https://127.0.0.1:<port> (stack setting workloads.apiServerLocalPort), a name the API
# server certificate carries. `stop` ends the session.
#
# Needs the AWS CLI v2 and the session-manager-plugin on PATH, AWS credentials with the
# rights in README "CI deploys through a tunnel", and AWS_REGION (or AWS_DEFAULT_REGION).
# Environment:
#   TUNNEL_DIR            where the session's pid, id and log are kept
#                         (default ${RUNNER_TEMP:-/tmp}/api-tunnel)
#   TUNNEL_REMOTE_PORT    the API server's port on the instance (default 6443)
#   TUNNEL_WAIT_SECONDS   how long `start` waits for the agent and for the port (default 120)
set -euo pipefail

dir="${TUNNEL_DIR:-${RUNNER_TEMP:-/tmp}/api-tunnel}"
remote_port="${TUNNEL_REMOTE_PORT:-6443}"
wait_seconds="${TUNNEL_WAIT_SECONDS:-120}"

log() { echo "[api-tunnel] $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# True while something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

usage() {
  die "usage: api-tunnel.sh start <instance id> [local port] | api-tunnel.sh stop"
}

start() {
  local instance="${1:-}" port="${2:-6443}"
  [[ "$instance" =~ ^i-[0-9a-f]{8,17}$ ]] || die "not an EC2 instance id: '$instance' (pulumi stack output controlPlaneInstanceId)"
  [[ "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ]] || die "not a TCP port: '$port'"
  [[ -n "${AWS_REGION:-${AWS_DEFAULT_REGION:-}}" ]] || die "AWS_REGION is not set"
  command -v aws >/dev/null || die "the AWS CLI (aws) is not on PATH"
  command -v session-manager-plugin >/dev/null ||
    die "session-manager-plugin is not on PATH (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html)"
  if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    die "a tunnel is already running (pid $(cat "$dir/pid")); run 'api-tunnel.sh stop' first"
  fi
  port_open "$port" && die "127.0.0.1:$port is already in use"
  mkdir -p "$dir"
  rm -f "$dir/pid" "$dir/session-id" "$dir/session.log"

  local deadline=$((SECONDS + wait_seconds)) status=""
  log "waiting for the Session Manager agent on $instance"
  while :; do
    status="$(aws ssm describe-instance-information --filters "Key=InstanceIds,Values=$instance" \
      --query 'InstanceInformationList[0].PingStatus' --output text 2>&1)" || status="error: $status"
    [[ "$status" == Online ]] && break
    ((SECONDS < deadline)) || die "the agent on $instance is not online after ${wait_seconds}s (last: $status)"
    sleep 5
  done

  log "opening 127.0.0.1:$port -> $instance:$remote_port"
  # Its own session (setsid): `stop` ends the CLI and the plugin it starts together.
  setsid aws ssm start-session --target "$instance" --document-name AWS-StartPortForwardingSession \
    --parameters "portNumber=$remote_port,localPortNumber=$port" >"$dir/session.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"

  until grep -q 'Waiting for connections' "$dir/session.log" 2>/dev/null && port_open "$port"; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      log "the session ended before the port opened:"
      sed 's/^/  /' "$dir/session.log" >&2
      rm -f "$dir/pid"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "127.0.0.1:$port did not open within ${wait_seconds}s:"
      sed 's/^/  /' "$dir/session.log" >&2
      stop
      exit 1
    fi
    sleep 1
  done
  sed -n 's/^Starting session with SessionId: \([^ ]*\).*$/\1/p' "$dir/session.log" | head -n 1 >"$dir/session-id"
  log "tunnel up: https://127.0.0.1:$port reaches the API server of $instance (session $(cat "$dir/session-id"))"
}

stop() {
  local pid="" session=""
  [[ -f "$dir/pid" ]] && pid="$(cat "$dir/pid")"
  [[ -f "$dir/session-id" ]] && session="$(cat "$dir/session-id")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  # The plugin's exit closes the session; ending it by id as well leaves nothing open in
  # Session Manager's history (best effort: the process is gone either way).
  if [[ -n "$session" ]]; then
    aws ssm terminate-session --session-id "$session" >/dev/null 2>&1 || log "could not terminate session $session (already closed?)"
  fi
  rm -f "$dir/pid" "$dir/session-id"
  log "tunnel closed"
}

case "${1:-}" in
  start)
    shift
    start "$@"
    ;;
  stop) stop ;;
  *) usage ;;
esac
