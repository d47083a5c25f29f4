#!/usr/bin/env bash
# Installs (or reuses) Renovate's own config validator, `renovate-config-validator` from
# the `renovate` npm package, into the tools cache outside the repository:
#   ${PLATFORM_TOOLS_CACHE:-$HOME/.cache/kubeadm-aws-platform-tools}/renovate-<version>/
# and prints its path as the last line on stdout. Progress goes to stderr.
# The package is large (about 340 MB installed); a cold install took 56 s here.
# Renovate 44 asks for Node 24; the validator runs on Node 20 (only the bot itself needs
# newer built-ins), and without the optional re2 module it checks regexes with RegExp.
set -euo pipefail

version="${RENOVATE_VERSION:-44.121.2}"
cache="${PLATFORM_TOOLS_CACHE:-$HOME/.cache/kubeadm-aws-platform-tools}"
dir="$cache/renovate-$version"
bin="$dir/node_modules/.bin/renovate-config-validator"

log() { echo "[renovate-validator] $*" >&2; }

if [[ ! -x "$bin" ]]; then
  log "installing renovate@$version into $dir (one time, about a minute)"
  start=$SECONDS
  tmp="$dir.partial.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # A partial install never lands under the final name: a killed run starts over.
  npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error "renovate@$version" >&2
  rm -rf "$dir"
  mv "$tmp" "$dir"
  log "installed in $((SECONDS - start)) s"
fi
echo "$bin"
