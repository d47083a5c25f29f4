#!/bin/sh
# Status of the pipelines running on EVERY DL Streamer pipeline server pod.
#
# GET /pipelines/status through HAProxy answers for one pod only (whichever
# the balancer picked). This script resolves the headless Service, which the
# cluster DNS answers with one address per ready pod, asks each pod directly
# and prints one JSON array:
#
#   [{"pod":"10.244.1.5","status":[{"id":"...","state":"RUNNING",...}]},
#    {"pod":"10.244.2.7","error":"curl: (28) Connection timed out ..."}]
#
# It runs inside the cluster (pod IPs are not routable from outside): the
# chart ships it in the suspended CronJob `pipeline-status`, see
# charts/dlstreamer/README.md. Needs only sh, awk, curl and getent or nslookup
# (the curlimages/curl image has them).
#
# Environment:
#   PIPELINE_SERVICE  headless Service name (default: pipeline-server.dlstreamer.svc.cluster.local)
#   PIPELINE_PORT     REST API port of the pipeline server (default: 8080)
#   CURL_TIMEOUT      seconds per pod (default: 5)
#
# Exit status: 0 every pod answered; 1 at least one pod did not; 2 no pod found.
set -eu

service="${PIPELINE_SERVICE:-pipeline-server.dlstreamer.svc.cluster.local}"
port="${PIPELINE_PORT:-8080}"
timeout="${CURL_TIMEOUT:-5}"

log() {
  echo "pipeline-status: $*" >&2
}

# IPv4 addresses of the ready pods, one per line, sorted and unique.
resolve() {
  if command -v getent >/dev/null 2>&1 && getent ahostsv4 "$1" >/dev/null 2>&1; then
    getent ahostsv4 "$1" | awk '{ print $1 }'
  elif command -v nslookup >/dev/null 2>&1; then
    # Answer lines follow a "Name:" line; the server's own address comes before it.
    nslookup "$1" 2>/dev/null | awk '/^Name:/ { answers = 1; next } answers && /^Address/ { print $NF }'
  fi | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | sort -u
}

# A string made safe to embed in a JSON string literal.
json_text() {
  printf '%s' "$1" | tr -d '\042\134' | tr '\n\r\t' '   '
}

addresses="$(resolve "$service" || true)"
if [ -z "$addresses" ]; then
  log "no pod address found for $service (no ready pipeline server, or not run inside the cluster)"
  echo "[]"
  exit 2
fi

failed=0
separator=""
printf '['
for address in $addresses; do
  if body="$(curl --silent --show-error --fail --max-time "$timeout" "http://$address:$port/pipelines/status" 2>&1)" &&
    [ "$(printf '%s' "$body" | tr -d ' \n\r\t' | cut -c1)" = "[" ]; then
    printf '%s{"pod":"%s","status":%s}' "$separator" "$address" "$body"
  else
    failed=1
    log "$address: no status ($(json_text "$body"))"
    printf '%s{"pod":"%s","error":"%s"}' "$separator" "$address" "$(json_text "$body")"
  fi
  separator=","
done
printf ']\n'
exit "$failed"
