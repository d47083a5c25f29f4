#!/bin/sh
# Readiness probe of the Elasticsearch node: the HTTP API answers an
# authenticated request (local=true: this node's view, without waiting on the
# master). ELASTIC_PASSWORD comes from the Secret through the environment.
set -eu

curl -fsS -u "elastic:${ELASTIC_PASSWORD}" "http://127.0.0.1:9200/_cluster/health?local=true" >/dev/null
