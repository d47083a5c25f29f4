#!/usr/bin/env bash
# Lets only root processes of this node's own network namespace reach the instance
# metadata service (and through it the node role's credentials). Pods in their own network
# namespace are already cut off by the hop limit of 1; this closes the gap for host-network
# pods that run as another user (node-exporter runs as nobody on every node, the control
# plane included). Root on the host network stays allowed: the bootstrap scripts, the
# kubelet's ECR credential provider, the SSM agent and the cloud controller manager need the
# role (README "IMDS closed to pods" lists every root host-network pod and why).
#
# A DROP in the mangle table's OUTPUT chain: Calico and kube-proxy add ACCEPT rules to the
# filter table only, so nothing they do can let such a packet past this rule. Idempotent;
# run by imds-firewall.service before containerd and the kubelet at every boot (rules do
# not survive a reboot).
#
# Redirectable for the test harness: IPTABLES, IP6TABLES (default iptables, ip6tables).
set -euo pipefail

IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
COMMENT="platform: instance metadata for root only"

log() { printf '%s imds-firewall: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ensure_rule() {
  local tables="$1" address="$2"
  local rule=(-d "$address" -m owner ! --uid-owner 0 -m comment --comment "$COMMENT" -j DROP)
  if "$tables" -w -t mangle -C OUTPUT "${rule[@]}" 2>/dev/null; then
    log "$address: already closed to non-root processes"
  else
    "$tables" -w -t mangle -I OUTPUT 1 "${rule[@]}" || die "could not add the $address rule with $tables"
    log "$address: closed to non-root processes"
  fi
}

# IPv4, and the IPv6 endpoint (served only when the launch template turns it on).
ensure_rule "$IPTABLES" 169.254.169.254/32
ensure_rule "$IP6TABLES" fd00:ec2::254/128
