#!/usr/bin/env bash
# Debian packages the test suite hands artifacts to. Idempotent; needs root (CI runs as
# root; test/tools/global-setup.ts runs it itself as root or with passwordless sudo).
set -euo pipefail

packages=(shellcheck awscli openssl curl jq gpg haproxy mosquitto mosquitto-clients wget iptables)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "[install-system-packages] needs root to install ${missing[*]}: run \`sudo bash $0\`" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "[install-system-packages] missing: ${missing[*]}"
echo "[install-system-packages] apt-get update..."
apt-get update -qq
echo "[install-system-packages] apt-get install (about a minute)..."
start=$SECONDS
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[install-system-packages] installed ${missing[*]} in $((SECONDS - start))s"
