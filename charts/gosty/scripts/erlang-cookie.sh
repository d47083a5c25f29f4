#!/bin/sh
# Init container of every RabbitMQ pod: installs the Erlang cookie where the
# node and its CLI tools (probes, preStop) read it, $HOME/.erlang.cookie on the
# data volume. RabbitMQ refuses a cookie file that is not owned by its user
# with mode 0400, which a Secret volume cannot provide, hence the copy.
#
# Usage: erlang-cookie.sh <cookie file of the Secret volume> <destination>
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <cookie file> <destination>" >&2
  exit 2
fi
src="$1"
dest="$2"

# The copy a previous start left is read-only; replace it, the Secret is the source.
rm -f "$dest"
cp "$src" "$dest"
chmod 0400 "$dest"
