#!/usr/bin/env bash
# Debian packages the test suite hands artifacts to. Idempotent; needs root (CI runs as root).
set -euo pipefail

packages=(shellcheck awscli openssl curl jq gpg haproxy mosquitto mosquitto-clients wget)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
