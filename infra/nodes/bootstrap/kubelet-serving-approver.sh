#!/usr/bin/env bash
# Approves a kubelet's serving-certificate request (signer kubernetes.io/kubelet-serving,
# sent because every kubelet runs with serverTLSBootstrap) only when it matches the EC2
# instance behind the node that sent it, and denies it otherwise. The built-in approver of
# kube-controller-manager never approves serving requests: without this program no kubelet
# gets a certificate, and logs, exec and metrics on that node fail.
# kube-controller-manager signs what is approved with the cluster CA (kubeadm's
# --cluster-signing-cert-file/--cluster-signing-key-file), which metrics-server and
# Prometheus verify kubelets against.
#
# A pending request of that signer is approved when all of these hold, checked in this order:
#   - it was sent by user system:node:<name> (<name> a DNS name);
#   - its usages are "server auth", plus at most "digital signature" and "key encipherment";
#   - the subject of the PKCS#10 request is exactly CN=system:node:<name>, O=system:nodes
#     (its self-signature the API server checked when the request was created);
#   - the requester is in group system:nodes;
#   - it has at least one subject alternative name, and only DNS names and IP addresses;
#   - EC2 lists exactly one running instance whose private DNS name is <name> and that
#     carries the tag kubernetes.io/cluster/$CLUSTER_NAME=owned (none, or several: pending);
#   - every DNS name is that instance's private or public DNS name, and every IP address
#     is its public IP or one of its private IPs inside $VPC_CIDR.
# EC2 is the judge, not the Node object: a kubelet may rewrite its own Node status, but
# not what EC2 says about its instance. The public IP and DNS name are allowed because
# the cloud controller manager reports them as node addresses and the kubelet asks for
# every node address. A request whose instance EC2 does not list yet (or a failed EC2
# call) stays pending and is looked at again on the next pass; anything else that fails a
# rule is denied with the rule in the condition's message (reason KubeletServingApprover).
# A decision is recorded with the request's resourceVersion, so a request that changed
# since it was read is left for the next pass. Requests of other signers are
# never touched. Every decision is logged with its reason; this program handles no secret
# (a CSR carries a public key; admin.conf's credentials stay with kubectl).
#
# The rules are one jq program ($JUDGE below), fed with the CSR object, the request's
# subject and SANs as openssl prints them, and the instances EC2 lists for the name the
# requester claims (looked up for every request, since a pass sees few). SANs are read from
# `openssl req -text`, which separates them with ", ": a DNS name that itself contained
# ", IP Address:..." would be read as two entries, each of which must still be a name or
# address of the instance; such a name could not be dialled anyway.
#
# Runs on the control plane as kubelet-serving-approver.service (installed by
# control-plane-init.sh after kubeadm init), as root: it calls EC2 with the control-plane
# role (ec2:DescribeInstances, granted for the cloud controller manager) and kubectl with
# /etc/kubernetes/admin.conf.
#
# A long-running service rather than a timer: a kubelet without its certificate cannot
# serve logs, exec or metrics, so a request should be decided within seconds, and a loop
# logs only decisions where a 10-second timer would log every start and stop.
#
# Modes:
#   (default)  a pass every APPROVER_INTERVAL_SECONDS (10) seconds, for ever; a failed pass
#              (API server restarting during an upgrade, EC2 throttling) is logged and the
#              next one tries again. Each pass runs this script anew with --once.
#   --once     one pass over the pending requests; exits non-zero if listing them, judging
#              one or recording a decision failed.
#
# Inputs (non-secret, from $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   CLUSTER_NAME, AWS_REGION, VPC_CIDR
# Redirectable for the test harness: ROOT_DIR (prefix of every file path); the AWS CLI
# honours its usual environment (proxy, CA bundle).
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
PATH="${PATH}:/snap/bin"

log() { printf '%s kubelet-serving-approver: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
for var in CLUSTER_NAME AWS_REGION VPC_CIDR; do
  [[ -n "${!var:-}" ]] || die "$var is not set in the bootstrap env file"
done
[[ "$VPC_CIDR" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] || die "VPC_CIDR '$VPC_CIDR' is not an IPv4 CIDR block"

if [[ "${1:-}" != --once ]]; then
  while :; do
    "$BASH" "$0" --once || log "WARNING: this pass failed; the next one tries again"
    sleep "${APPROVER_INTERVAL_SECONDS:-10}"
  done
fi

# Prints "<verdict><TAB><reason>": Approved, Denied or wait (leave pending). $instances is
# what EC2 lists for the node's name, or null when EC2 did not answer.
# shellcheck disable=SC2016 # jq variables, not shell expansions
JUDGE='def no($r): "Denied\t\($r)";
def ip: split(".") | map(tonumber) | .[0] * 16777216 + .[1] * 65536 + .[2] * 256 + .[3];
(.spec | .usages //= [] | .groups //= []) as $s | $s.username as $user | ($user | ltrimstr("system:node:")) as $node
| ($vpc | split("/")) as [$net, $bits] | pow(2; 32 - ($bits | tonumber)) as $block
| ($sans | split(", ") | map(select(. != ""))) as $all
| [$all[] | select(startswith("DNS:"))[4:]] as $dns | [$all[] | select(startswith("IP Address:"))[11:]] as $ips
| if $user != "system:node:\($node)" or ($node | test("^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$") | not) then no("\($user) is not a node")
  elif $s.usages - ["digital signature", "key encipherment"] != ["server auth"] then no("usages \($s.usages) are not those of a serving certificate")
  elif $subject != "CN=\($user),O=system:nodes" then no("subject \($subject) is not CN=\($user),O=system:nodes")
  elif ($s.groups | index("system:nodes") | not) then no("\($user) is not in group system:nodes")
  elif ($dns + $ips | length) != ($all | length) or $all == [] then no("SANs \($all) are not only DNS names and IP addresses")
  elif $instances == null then "wait\tEC2 did not answer"
  elif ($instances | length) != 1 then "wait\t\($instances | length) running instances named \($node) are tagged kubernetes.io/cluster/\($cluster)=owned"
  else $instances[0] as $i | [$i.PrivateIpAddress, $i.NetworkInterfaces[]?.PrivateIpAddresses[]?.PrivateIpAddress] as $private
  | (($dns - [$i.PrivateDnsName, $i.PublicDnsName]) + ($ips - $private - [$i.PublicIpAddress])) as $strangers
  | [$ips[] | select(IN($private[]) and (ip / $block | floor) != ($net | ip / $block | floor))] as $outside
  | if $strangers != [] then no("\($strangers[0]) is not a name or address of instance \($i.InstanceId)")
    elif $outside != [] then no("\($outside[0]) of instance \($i.InstanceId) is outside the VPC \($vpc)")
    else "Approved\tthe subject and \($all | join(", ")) match instance \($i.InstanceId)" end
  end'

kube() { kubectl --kubeconfig "${ROOT_DIR}/etc/kubernetes/admin.conf" "$@"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

kube get csr -o json >"$work/csrs.json" || die "could not list the certificate signing requests"
failed=0
while IFS= read -r csr; do
  name="$(jq -r .metadata.name <<<"$csr")"
  user="$(jq -r .spec.username <<<"$csr")"
  # The API server checked the request's self-signature on create; an unreadable one has no subject.
  jq -r .spec.request <<<"$csr" | base64 -d >"$work/request.pem" || true
  subject="$(openssl req -in "$work/request.pem" -noout -subject -nameopt sep_multiline,sname,esc_2253 | sed -e 1d -e 's/^ *//' | LC_ALL=C sort | paste -sd, -)" || true
  sans="$(openssl req -in "$work/request.pem" -noout -text | sed -n '/X509v3 Subject Alternative Name:/{n;s/^ *//;p;q}')" || true
  instances="$(aws ec2 describe-instances --region "$AWS_REGION" --output json --query 'Reservations[].Instances[]' --filters \
    "Name=private-dns-name,Values=${user#system:node:}" "Name=tag:kubernetes.io/cluster/${CLUSTER_NAME},Values=owned" \
    Name=instance-state-name,Values=running)" || instances=null
  verdict="" reason=""
  IFS=$'\t' read -r verdict reason < <(jq -r --arg subject "$subject" --arg sans "$sans" --arg vpc "$VPC_CIDR" \
    --arg cluster "$CLUSTER_NAME" --argjson instances "$instances" "$JUDGE" <<<"$csr") || true
  if [[ "$verdict" != Approved && "$verdict" != Denied ]]; then
    [[ "$verdict" == wait ]] || { reason="could not judge it"; failed=1; }
    log "CSR $name ($user) stays pending: $reason"
    continue
  fi
  # Recorded only if the request did not change since it was read (resourceVersion).
  if jq --arg type "$verdict" --arg message "$reason" '{metadata: {resourceVersion}, status: {conditions: [{type: $type,
    status: "True", reason: "KubeletServingApprover", message: $message}]}}' <<<"$csr" >"$work/patch.json" && kube patch csr "$name" --subresource=approval --type=merge --patch-file "$work/patch.json" >/dev/null; then
    log "CSR $name ($user): ${verdict,,}: $reason"
  else
    log "WARNING: could not record '$verdict' for CSR $name ($user: $reason)"
    failed=1
  fi
done < <(jq -c '.items[] | select(.spec.signerName == "kubernetes.io/kubelet-serving")
  | select(any(.status.conditions[]?; .type == "Approved" or .type == "Denied") | not)' "$work/csrs.json")
exit "$failed"
