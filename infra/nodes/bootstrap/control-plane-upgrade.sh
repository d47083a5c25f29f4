#!/usr/bin/env bash
# Upgrades this control plane to KUBERNETES_VERSION with kubeadm's own procedure. Run on
# the node by the SSM command document of infra/nodes/upgrade.ts when `kubernetesVersion`
# changes (the document's association waits for this script's exit status, so a failure
# fails `pulumi up`, before any worker pool rolls):
#   1. waits until the control plane is initialised (a new instance may still be booting);
#      nothing to do when the API server already reports the version;
#   2. points apt at the target minor's pkgs.k8s.io repository, installs that kubeadm;
#   3. `kubeadm upgrade plan`, then `kubeadm upgrade apply -y` (static pods, kubelet
#      configuration, CoreDNS and kube-proxy);
#   4. drains the node, moves containerd to the pinned runtime if it differs, installs kubelet
#      and kubectl of the version, restarts the kubelet, uncordons the node (a control plane
#      that already runs the version but another runtime gets only the runtime step);
#   5. waits until the API server reports the version;
#   6. records the version in the bootstrap env file, so node-prepare.sh at the next boot
#      keeps it (instead of going back to the version the user-data was rendered with).
#
# Inputs (environment): KUBERNETES_VERSION (x.y.z), KUBERNETES_PACKAGE_VERSION (its Debian
# version), CONTAINERD_PACKAGE_VERSION (the pinned runtime; empty leaves the runtime alone);
# the rest from $BOOTSTRAP_ENV and node.env as for the other scripts.
# UPGRADE_DRY_RUN=1 rehearses: it installs the target kubeadm (the only change), runs
# `kubeadm upgrade plan` and `kubeadm upgrade apply --dry-run` (which prints the static pod
# manifests and objects it would write) and stops there: no drain, no kubelet, nothing recorded.
# Redirectable for the test harness: ROOT_DIR, K8S_APT_REPO_BASE, WAIT_SECONDS (default 2400
# for the init, 600 for the API server), POLL_SECONDS (default 10), NETWORK_ATTEMPTS.
set -euo pipefail

ROOT_DIR="${ROOT_DIR:-}"
BOOTSTRAP_ENV="${BOOTSTRAP_ENV:-${ROOT_DIR}/etc/platform/bootstrap.env}"
NODE_ENV="${ROOT_DIR}/etc/platform/node.env"
INIT_MARKER="${ROOT_DIR}/var/lib/platform/kubeadm-init.done"
ADMIN_KUBECONFIG="${ROOT_DIR}/etc/kubernetes/admin.conf"
K8S_APT_REPO_BASE="${K8S_APT_REPO_BASE:-https://pkgs.k8s.io/core:/stable:}"
INIT_WAIT_SECONDS="${INIT_WAIT_SECONDS:-2400}"
WAIT_SECONDS="${WAIT_SECONDS:-600}"
POLL_SECONDS="${POLL_SECONDS:-10}"
NETWORK_ATTEMPTS="${NETWORK_ATTEMPTS:-5}"
DRY_RUN="${UPGRADE_DRY_RUN:-0}"
PATH="${PATH}:/snap/bin"
export DEBIAN_FRONTEND=noninteractive

log() { printf '%s control-plane-upgrade: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
retry() {
  local attempt=1
  until "$@"; do
    ((attempt < NETWORK_ATTEMPTS)) || return 1
    log "attempt $attempt of $NETWORK_ATTEMPTS failed, retrying: $*"
    sleep "$((POLL_SECONDS * attempt))"
    attempt=$((attempt + 1))
  done
}
wait_for() {
  local what="$1" seconds="$2" deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what"
    sleep "$POLL_SECONDS"
  done
}

target="${KUBERNETES_VERSION:-}"
package="${KUBERNETES_PACKAGE_VERSION:-}"
containerd_pin="${CONTAINERD_PACKAGE_VERSION:-}"
[[ "$target" =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "KUBERNETES_VERSION '$target' is not x.y.z"
target_minor="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
[[ "$package" == "$target"-* ]] || die "KUBERNETES_PACKAGE_VERSION '$package' is not a package of $target"
[[ -r "$BOOTSTRAP_ENV" ]] || die "cannot read the bootstrap env file $BOOTSTRAP_ENV"
[[ "$DRY_RUN" == 0 || "$DRY_RUN" == 1 ]] || die "UPGRADE_DRY_RUN '$DRY_RUN' is not 0 or 1"

# Control planes booted from earlier user-data write no marker; their finished bootstrap
# unit (oneshot, RemainAfterExit) says the same.
booted() { [[ -f "$INIT_MARKER" ]] || { [[ -f "$ADMIN_KUBECONFIG" ]] && systemctl is-active --quiet platform-bootstrap.service; }; }
wait_for "the control plane to finish its first boot ($INIT_MARKER)" "$INIT_WAIT_SECONDS" booted
# shellcheck source=/dev/null
source "$NODE_ENV"
kube() { kubectl --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
server_version() { kube version -o json 2>/dev/null | jq -r '.serverVersion.gitVersion // empty'; }
apt_get() { retry apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
installed_runtime() { dpkg-query -W -f='${Version}' containerd 2>/dev/null || true; }
runtime_off_pin() { [[ -n "$containerd_pin" && "$(installed_runtime)" != "$containerd_pin" ]]; }
# The runtime every node installs (CONTAINERD_PACKAGE_VERSION, infra/versions.ts): a control
# plane booted before that pin may still run containerd 1.x, which Kubernetes after 1.35
# does not support. Called on a drained node only.
move_runtime() {
  runtime_off_pin || return 0
  local now
  now="$(installed_runtime)"
  log "moving containerd ${now:-(not installed)} -> $containerd_pin"
  apt_get update || die "apt-get update failed"
  apt_get install --no-install-recommends --allow-downgrades --allow-change-held-packages "containerd=${containerd_pin}" ||
    die "could not install containerd ${containerd_pin}; the node stays cordoned (kubectl uncordon $NODE_NAME after fixing it)"
  apt-mark hold containerd >/dev/null
  systemctl restart containerd
}
drain_node() {
  log "draining $NODE_NAME"
  kube drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=5m ||
    log "WARNING: the drain did not finish (single control plane, nowhere to move some pods); going on"
}

running="$(server_version)" || true
[[ -n "$running" ]] || die "the API server does not answer (kubectl version)"
log "the API server runs $running; target v$target"
if [[ "$running" == "v$target" ]]; then
  if [[ "$DRY_RUN" == 0 ]] && runtime_off_pin; then
    # Only the runtime pin changed (or this control plane predates it).
    drain_node
    move_runtime
    systemctl restart kubelet
    kube uncordon "$NODE_NAME" || die "could not uncordon $NODE_NAME"
  else
    log "nothing to do"
  fi
else
  # The same rule the Pulumi program checks first (infra/config/kubernetes-version.ts):
  # no downgrade, at most one minor up.
  [[ "$running" =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+) ]] || die "cannot read the running version '$running'"
  r_major="${BASH_REMATCH[1]}" r_minor="${BASH_REMATCH[2]}" r_patch="${BASH_REMATCH[3]}"
  IFS=. read -r t_major t_minor t_patch <<<"$target"
  if ((t_major != r_major || t_minor < r_minor || t_minor > r_minor + 1 || (t_minor == r_minor && t_patch < r_patch))); then
    die "refusing $running -> v$target: kubeadm upgrades one minor at a time and never down"
  fi

  repo="${K8S_APT_REPO_BASE}/v${target_minor}/deb/"
  keyring=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
  log "pointing apt at $repo"
  retry curl -fsSL --max-time 60 -o "${ROOT_DIR}${keyring}.asc" "${repo}Release.key" || die "could not download ${repo}Release.key"
  gpg --dearmor --batch --yes -o "${ROOT_DIR}${keyring}" "${ROOT_DIR}${keyring}.asc"
  rm -f "${ROOT_DIR}${keyring}.asc"
  printf 'deb [signed-by=%s] %s /\n' "$keyring" "$repo" >"${ROOT_DIR}/etc/apt/sources.list.d/kubernetes.list"
  apt_get update || die "apt-get update failed"
  apt_get install --no-install-recommends --allow-change-held-packages "kubeadm=${package}" || die "could not install kubeadm ${package}"
  apt-mark hold kubeadm >/dev/null

  log "kubeadm upgrade plan v$target"
  kubeadm upgrade plan "v$target" || die "kubeadm upgrade plan refused v$target (see above)"
  apply_args=(-y)
  [[ "$DRY_RUN" == 1 ]] && apply_args+=(--dry-run)
  log "kubeadm upgrade apply ${apply_args[*]} v$target"
  kubeadm upgrade apply "${apply_args[@]}" "v$target" || die "kubeadm upgrade apply v$target failed; kubeadm rolled back what it changed (see above)"
  if [[ "$DRY_RUN" == 1 ]]; then
    log "dry run: kubeadm would upgrade the control plane to v$target; stopping before the drain"
    exit 0
  fi

  drain_node
  move_runtime
  apt_get install --no-install-recommends --allow-change-held-packages "kubelet=${package}" "kubectl=${package}" ||
    die "could not install kubelet and kubectl ${package}; the node stays cordoned (kubectl uncordon $NODE_NAME after fixing it)"
  apt-mark hold kubelet kubectl >/dev/null
  systemctl daemon-reload
  systemctl restart kubelet
  kube uncordon "$NODE_NAME" || die "could not uncordon $NODE_NAME"
  at_target() { [[ "$(server_version)" == "v$target" ]]; }
  wait_for "the API server to report v$target" "$WAIT_SECONDS" at_target
  log "the control plane runs v$target"
fi

[[ "$DRY_RUN" == 0 ]] || { log "dry run: nothing recorded"; exit 0; }
# Reboots run node-prepare.sh with the env file: it must install this version from now on.
sed -i -E \
  -e "s/^KUBERNETES_VERSION=.*/KUBERNETES_VERSION='${target}'/" \
  -e "s/^KUBERNETES_PACKAGE_VERSION=.*/KUBERNETES_PACKAGE_VERSION='${package}'/" \
  "$BOOTSTRAP_ENV"
if [[ -n "$containerd_pin" ]]; then
  if grep -q '^CONTAINERD_PACKAGE_VERSION=' "$BOOTSTRAP_ENV"; then
    sed -i -E "s/^CONTAINERD_PACKAGE_VERSION=.*/CONTAINERD_PACKAGE_VERSION='${containerd_pin}'/" "$BOOTSTRAP_ENV"
  else
    printf "CONTAINERD_PACKAGE_VERSION='%s'\n" "$containerd_pin" >>"$BOOTSTRAP_ENV"
  fi
fi
log "recorded v$target in $BOOTSTRAP_ENV"
