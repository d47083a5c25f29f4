#!/bin/sh
# Job: sets the password of Elasticsearch's built-in kibana_system user, which
# only the security API can change, to the one Kibana reads from the Secret.
# Idempotent; the Job retries it until Elasticsearch answers.
#
# Environment: ELASTICSEARCH_URL, ELASTIC_PASSWORD, KIBANA_PASSWORD.
set -eu

# Checked up front: in the pipeline below a missing one would only fail printf.
: "${ELASTICSEARCH_URL:?}" "${ELASTIC_PASSWORD:?}" "${KIBANA_PASSWORD:?}"

# The body goes through stdin, so the new password is not on curl's command line.
printf '{"password":"%s"}' "$KIBANA_PASSWORD" |
  curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H "Content-Type: application/json" \
    -X POST "${ELASTICSEARCH_URL}/_security/user/kibana_system/_password" --data-binary @-
