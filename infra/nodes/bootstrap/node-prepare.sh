#!/usr/bin/env bash
# Prepares an Ubuntu 24.04 EC2 instance to run a kubelet. Shared by the control
# plane and the worker pools; safe to run again (every step checks before it acts).
#
# Inputs (non-secret, from the env file $BOOTSTRAP_ENV, default /etc/platform/bootstrap.env):
#   KUBERNETES_VERSION           release to install, e.g. 1.35.4
#   KUBERNETES_PACKAGE_VERSION   its pkgs.k8s.io Debian version, e.g. 1.35.4-1.1
#   CONTAINERD_PACKAGE_VERSION   exact Ubuntu containerd version, installed and held (the
#                                program always sets it; unset takes the archive's current one)
# Output: /etc/platform/node.env with NODE_NAME, NODE_IP, INSTANCE_ID and
# AVAILABILITY_ZONE as read from the instance metadata service, for the scripts that follow.
#
# Every outside endpoint and the filesystem root can be redirected so that the test
# harness can run this script against a fake IMDS with stand-ins for the system tools:
#   ROOT_DIR            prefix for every file written (default: empty, the real root)
#   IMDS_ENDPOINT       default http://169.254.169.254
#   K8S_APT_REPO_BASE   default https://pkgs.k8s.io/core:/stable:
#   AWSCLI_SNAP_CHANNEL default v2/stable
#   NETWORK_ATTEMPTS, NETWORK_FIRST_DELAY_SECONDS  bounded retries of network steps (5, 10)
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
IMDS_ENDPOINT="${IMDS_ENDPOINT:-http://169.254.169.254}"
K8S_APT_REPO_BASE="${K8S_APT_REPO_BASE:-https://pkgs.k8s.io/core:/stable:}"
AWSCLI_SNAP_CHANNEL="${AWSCLI_SNAP_CHANNEL:-v2/stable}"
# cloud-init and systemd start us with a PATH that lacks snap's bin directory.
PATH="${PATH}:/snap/bin"

log() { printf '%s node-prepare: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Writes stdin to ROOT_DIR/$1 with mode $2 when the content differs; returns 0 if it
# changed the file, 1 if it was already up to date (callers restart services on 0).
write_if_changed() {
  local target="${ROOT_DIR}$1" mode="$2" tmp
  mkdir -p "$(dirname "$target")"
  tmp="$(mktemp "${target}.XXXXXX")"
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if [[ -f "$target" ]] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    log "$1 is up to date"
    return 1
  fi
  mv -f "$tmp" "$target"
  log "wrote $1"
  return 0
}

[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
# shellcheck source=/dev/null
source "$BOOTSTRAP_ENV"
: "${KUBERNETES_VERSION:?must be set in the bootstrap env file}"
: "${KUBERNETES_PACKAGE_VERSION:?must be set in the bootstrap env file}"
CONTAINERD_PACKAGE_VERSION="${CONTAINERD_PACKAGE_VERSION:-}"
[[ "$KUBERNETES_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KUBERNETES_VERSION must be x.y.z, got '$KUBERNETES_VERSION'"
KUBERNETES_MINOR="${KUBERNETES_VERSION%.*}"

export DEBIAN_FRONTEND=noninteractive
# Runs "$@" up to NETWORK_ATTEMPTS times (default 5), doubling the pause between tries
# (10 s first): every step that needs the network (package mirrors, pkgs.k8s.io, the snap
# store) is retried, but a bounded number of times, so a failure ends the boot instead of
# hanging it (bootstrap.sh decides what a failed boot leads to).
NETWORK_ATTEMPTS="${NETWORK_ATTEMPTS:-5}"
NETWORK_FIRST_DELAY_SECONDS="${NETWORK_FIRST_DELAY_SECONDS:-10}"
retry() {
  local attempt=1 delay="$NETWORK_FIRST_DELAY_SECONDS"
  until "$@"; do
    ((attempt < NETWORK_ATTEMPTS)) || { log "giving up after $attempt attempts: $*"; return 1; }
    log "attempt $attempt of $NETWORK_ATTEMPTS failed, retrying in ${delay}s: $*"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
  done
}
# First boot races unattended-upgrades and cloud-init for the dpkg lock: wait instead of failing.
apt_get() { retry apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -y -q "$@"; }

# --- instance metadata closed to non-root host-network processes, before any pod runs ---
# The unit (placed by the user-data) runs imds-firewall.sh at every boot before containerd and
# the kubelet; started here too, because on the first boot it was not enabled yet.
imds_unit_source="${ROOT_DIR}/opt/platform/units/imds-firewall.service"
[[ -r "$imds_unit_source" ]] || die "cannot read $imds_unit_source (the user-data places it)"
if write_if_changed /etc/systemd/system/imds-firewall.service 0644 <"$imds_unit_source"; then
  systemctl daemon-reload
  systemctl enable imds-firewall.service
  systemctl restart imds-firewall.service || die "imds-firewall.service failed (journalctl -u imds-firewall)"
else
  systemctl start imds-firewall.service || die "imds-firewall.service failed (journalctl -u imds-firewall)"
fi

# --- instance identity (IMDSv2: a session token first, then the reads) ---------------
log "reading instance identity from the instance metadata service (IMDSv2)"
imds_token="$(curl -fsS --retry 10 --retry-connrefused --retry-delay 2 --max-time 5 -X PUT \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS_ENDPOINT}/latest/api/token")" ||
  die "no IMDSv2 session token from ${IMDS_ENDPOINT}"
imds_get() {
  curl -fsS --retry 5 --retry-connrefused --retry-delay 2 --max-time 5 \
    -H "X-aws-ec2-metadata-token: ${imds_token}" "${IMDS_ENDPOINT}/latest/meta-data/$1"
}
node_name="$(imds_get local-hostname)" || die "IMDS did not return local-hostname"
# With several DHCP domain names IMDS lists several names; the first is the EC2 private DNS name.
node_name="${node_name%% *}"
node_ip="$(imds_get local-ipv4)" || die "IMDS did not return local-ipv4"
instance_id="$(imds_get instance-id)" || die "IMDS did not return instance-id"
availability_zone="$(imds_get placement/availability-zone)" || die "IMDS did not return the availability zone"
[[ "$node_name" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "unexpected private DNS name '$node_name'"
[[ "$node_ip" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "unexpected private IPv4 '$node_ip'"
log "instance $instance_id in $availability_zone: node name $node_name, node IP $node_ip"

write_if_changed /etc/platform/node.env 0644 <<EOF || true
# Written by node-prepare.sh from the instance metadata service.
NODE_NAME='${node_name}'
NODE_IP='${node_ip}'
INSTANCE_ID='${instance_id}'
AVAILABILITY_ZONE='${availability_zone}'
EOF

# --- hostname: the AWS cloud controller manager finds nodes by their private DNS name --
log "setting the hostname to $node_name"
hostnamectl set-hostname "$node_name"
# cloud-init would reset it to the short form on the next boot.
write_if_changed /etc/cloud/cloud.cfg.d/99-kubernetes-hostname.cfg 0644 <<'EOF' || true
# The kubelet's node name is the EC2 private DNS name; keep cloud-init from shortening it.
preserve_hostname: true
EOF

# --- swap off, now and after reboots --------------------------------------------------
log "turning swap off"
swapoff -a
fstab="${ROOT_DIR}/etc/fstab"
if [[ -f "$fstab" ]] && grep -Eq '^[^#][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]' "$fstab"; then
  sed -i -E 's/^([^#][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]].*)$/# disabled for the kubelet: \1/' "$fstab"
  log "commented out the swap entries of /etc/fstab"
else
  log "/etc/fstab has no active swap entry"
fi
systemctl mask swap.target >/dev/null
log "masked swap.target so no swap unit starts at boot"

# --- kernel modules and sysctls for bridged pod traffic and forwarding ------------------
log "loading the overlay and br_netfilter kernel modules"
write_if_changed /etc/modules-load.d/kubernetes.conf 0644 <<'EOF' || true
overlay
br_netfilter
EOF
modprobe overlay
modprobe br_netfilter

log "setting the bridge and forwarding sysctls"
write_if_changed /etc/sysctl.d/99-kubernetes.conf 0644 <<'EOF' || true
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
EOF
sysctl --system >/dev/null

# --- packages: base tools, containerd and nfs-common (the kubelet mounts NFS volumes with it) from Ubuntu, Kubernetes from pkgs.k8s.io
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in apt-transport-https ca-certificates curl gpg jq containerd nfs-common; do
  is_installed "$p" || missing+=("$p")
done
if [[ -n "$CONTAINERD_PACKAGE_VERSION" && "$(dpkg-query -W -f='${Version}' containerd 2>/dev/null || true)" != "$CONTAINERD_PACKAGE_VERSION" ]]; then
  missing+=(containerd)
fi
if [[ "${#missing[@]}" -gt 0 ]]; then
  log "installing from the Ubuntu archive: ${missing[*]}"
  apt_get update || die "apt-get update failed (Ubuntu archive unreachable?)"
  to_install=()
  for p in "${missing[@]}"; do
    if [[ "$p" == containerd && -n "$CONTAINERD_PACKAGE_VERSION" ]]; then
      to_install+=("containerd=${CONTAINERD_PACKAGE_VERSION}")
    else
      to_install+=("$p")
    fi
  done
  apt_get install --no-install-recommends --allow-downgrades --allow-change-held-packages "${to_install[@]}" ||
    die "could not install ${to_install[*]} from the Ubuntu archive"
else
  log "base packages and containerd are already installed"
fi
if [[ -n "$CONTAINERD_PACKAGE_VERSION" ]]; then
  apt-mark hold containerd >/dev/null
  log "held containerd at ${CONTAINERD_PACKAGE_VERSION}"
fi
# Kubernetes 1.35 is the last release that runs on containerd 1.x.
containerd_version="$(dpkg-query -W -f='${Version}' containerd 2>/dev/null || true)"
if ((${KUBERNETES_MINOR#*.} > 35)) && [[ ! "$containerd_version" =~ ^([2-9]|[1-9][0-9]+)\. ]]; then
  die "Kubernetes ${KUBERNETES_MINOR} needs containerd 2.x, this node has '${containerd_version}'"
fi

keyring=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
repo="${K8S_APT_REPO_BASE}/v${KUBERNETES_MINOR}/deb/"
if [[ -s "${ROOT_DIR}${keyring}" ]]; then
  log "the pkgs.k8s.io signing key for v${KUBERNETES_MINOR} is already installed"
else
  log "installing the pkgs.k8s.io signing key for v${KUBERNETES_MINOR}"
  mkdir -p "${ROOT_DIR}/etc/apt/keyrings"
  retry curl -fsSL --retry 5 --max-time 60 -o "${ROOT_DIR}${keyring}.asc" "${repo}Release.key" ||
    die "could not download the pkgs.k8s.io signing key from ${repo}Release.key"
  gpg --dearmor --batch --yes -o "${ROOT_DIR}${keyring}" "${ROOT_DIR}${keyring}.asc"
  rm -f "${ROOT_DIR}${keyring}.asc"
  chmod 0644 "${ROOT_DIR}${keyring}"
fi
write_if_changed /etc/apt/sources.list.d/kubernetes.list 0644 <<EOF || true
deb [signed-by=${keyring}] ${repo} /
EOF

k8s_packages=(kubelet kubeadm kubectl)
needs_install=0
for p in "${k8s_packages[@]}"; do
  [[ "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)" == "$KUBERNETES_PACKAGE_VERSION" ]] || needs_install=1
done
if [[ "$needs_install" == 1 ]]; then
  log "installing kubelet, kubeadm and kubectl ${KUBERNETES_PACKAGE_VERSION} from pkgs.k8s.io"
  apt_get update || die "apt-get update failed (pkgs.k8s.io unreachable?)"
  apt_get install --no-install-recommends --allow-change-held-packages \
    "kubelet=${KUBERNETES_PACKAGE_VERSION}" "kubeadm=${KUBERNETES_PACKAGE_VERSION}" "kubectl=${KUBERNETES_PACKAGE_VERSION}" ||
    die "could not install kubelet, kubeadm and kubectl ${KUBERNETES_PACKAGE_VERSION} from pkgs.k8s.io"
else
  log "kubelet, kubeadm and kubectl ${KUBERNETES_PACKAGE_VERSION} are already installed"
fi
# Unattended upgrades must never move the node to another Kubernetes release.
apt-mark hold "${k8s_packages[@]}" >/dev/null
log "held kubelet, kubeadm and kubectl at ${KUBERNETES_PACKAGE_VERSION}"

# --- containerd: systemd cgroups (as the kubelet) and kubeadm's pause image ---------------
pause_image="$(kubeadm config images list --kubernetes-version "v${KUBERNETES_VERSION}" | grep -m1 '/pause:')" ||
  die "kubeadm did not list a pause image for v${KUBERNETES_VERSION}"
log "configuring containerd: SystemdCgroup = true, sandbox image $pause_image"
containerd_config="$(containerd config default)" || die "containerd could not print its default configuration"
# The same two edits fit containerd 1.7 (sandbox_image) and 2.x (sandbox) layouts.
containerd_config="$(sed -E \
  -e 's/^([[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*)false/\1true/' \
  -e "s|^([[:space:]]*sandbox_image[[:space:]]*=[[:space:]]*).*|\\1\"${pause_image}\"|" \
  -e "s|^([[:space:]]*sandbox[[:space:]]*=[[:space:]]*).*|\\1'${pause_image}'|" \
  <<<"$containerd_config")"
grep -Eq '^[[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*true' <<<"$containerd_config" ||
  die "containerd's default configuration has no SystemdCgroup setting to turn on"
if printf '%s\n' "$containerd_config" | write_if_changed /etc/containerd/config.toml 0644; then
  systemctl restart containerd
  log "restarted containerd"
fi
systemctl enable --now containerd
# kubeadm starts the kubelet once its configuration exists; enabling it keeps it across reboots.
systemctl enable kubelet
log "containerd is running; kubelet is enabled"

# --- AWS CLI v2 (Secrets Manager and S3 from the nodes) ----------------------------------
if command -v aws >/dev/null && aws --version 2>&1 | grep -q '^aws-cli/2\.'; then
  log "AWS CLI v2 is present ($(aws --version 2>&1 | cut -d' ' -f1))"
else
  # Ubuntu 24.04 ships no AWS CLI v2 .deb; the snap is the publisher's signed build.
  log "installing AWS CLI v2 from the snap store (channel $AWSCLI_SNAP_CHANNEL)"
  retry snap install aws-cli --classic --channel="$AWSCLI_SNAP_CHANNEL" || die "could not install the AWS CLI snap"
  aws --version 2>&1 | grep -q '^aws-cli/2\.' || die "the AWS CLI is not v2 after installing it"
fi

log "node prepared for Kubernetes ${KUBERNETES_VERSION}"
