#!/bin/sh
# preStop hook of a clustered RabbitMQ node: wait until every quorum queue
# keeps its quorum without this node, then hand the node's queue leaders over,
# so a rolling restart or a node drain loses no availability.
#
# Never fails: the pod stops anyway; a failing hook would only log an event
# and leave the node undrained.
set -eu

if rabbitmq-upgrade await_online_quorum_plus_one -t 540; then
  rabbitmq-upgrade drain -t 30 || true
fi
