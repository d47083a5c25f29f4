#!/usr/bin/env bash
# Runs a command with a node's fixed kubeadm paths taken from a test directory, in a
# private mount namespace of its own, so the real kubeadm (which reads and writes
# /etc/kubernetes and /var/lib/kubelet, paths it has no flag for) can run on a shared
# machine:
#
#   node-namespace.sh ROOT SCRATCH -- COMMAND [ARGS...]
#
#   - the script re-executes itself under `unshare --mount --propagation private`, and
#     mounts nothing unless it then finds itself in a mount namespace other than its
#     caller's (so no mount below can reach the machine's namespace);
#   - SCRATCH (an empty directory) gets a tmpfs, seen only in that namespace;
#   - /etc and /var/lib become overlays of themselves with their upper layers on that
#     tmpfs: whatever the command writes there (outside the two directories below) is
#     thrown away with the namespace; the machine's own files are untouched;
#   - ROOT/etc/kubernetes and ROOT/var/lib/kubelet (created if missing) are bound onto
#     /etc/kubernetes and /var/lib/kubelet: what kubeadm writes there stays for the test.
#
# Needs root (mounts). The namespace ends with COMMAND.
set -euo pipefail

die() { echo "node-namespace: $*" >&2; exit 1; }
if (($# < 4)) || [[ "$3" != "--" ]]; then die "usage: node-namespace.sh ROOT SCRATCH -- COMMAND [ARGS...]"; fi
if [[ "${NODE_NAMESPACE_INSIDE:-}" != 1 ]]; then
  NODE_NAMESPACE_INSIDE=1 exec unshare --mount --propagation private "$0" "$@"
fi
unset NODE_NAMESPACE_INSIDE
# unshare replaced this process without forking: the parent is still the caller, in the
# namespace the mounts must not touch.
self="$(readlink /proc/self/ns/mnt)" || die "cannot read this process's mount namespace"
caller="$(readlink "/proc/$PPID/ns/mnt")" || die "cannot read the caller's mount namespace"
[[ -n "$self" && -n "$caller" && "$self" != "$caller" ]] ||
  die "not in a private mount namespace ($self, caller $caller); refusing to mount"

root="$1" scratch="$2"
shift 3
[[ -d "$root" && -d "$scratch" ]] || die "ROOT ($root) and SCRATCH ($scratch) must be existing directories"
mount -t tmpfs -o mode=0700 node-namespace "$scratch"
for dir in etc var/lib; do
  layer="$scratch/${dir//\//-}"
  mkdir -p "$layer/upper" "$layer/work"
  mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$layer/upper,workdir=$layer/work" "/$dir"
done
for dir in etc/kubernetes var/lib/kubelet; do
  mkdir -p "$root/$dir" "/$dir"
  mount --bind "$root/$dir" "/$dir"
done
exec "$@"
