/**
 * What the DL Streamer application's images do, each fact with where it was
 * read (see charts/image-contract.ts).
 */
import type { ImageContract } from "../image-contract";

/** open-edge-platform/edge-ai-libraries, microservices/dlstreamer-pipeline-server (read at commit 0cdfcbbc of its Dockerfile, docker/.env 0834d494, docker/docker-compose.yml 0df3e28f; the 2026.2.0 tag itself was not readable here). */
const DLSPS = "open-edge-platform/edge-ai-libraries microservices/dlstreamer-pipeline-server";

export const PIPELINE_SERVER_CONTRACT: ImageContract = {
  name: "dlstreamer-pipeline-server",
  upstream: `${DLSPS} (image intel/dlstreamer-pipeline-server)`,
  user: {
    uid: 1999,
    name: "intelmicroserviceuser",
    source: `${DLSPS} Dockerfile: useradd -ms /bin/bash \${USER} -u $UID, USER $USER; docker/.env PIPELINE_SERVER_USER=intelmicroserviceuser, UID=1999`,
  },
  entrypoint: { argv: ["./run.sh"], passesArgs: "fixed", source: `${DLSPS} Dockerfile: WORKDIR /home/pipeline-server, ENTRYPOINT ["./run.sh"]` },
  ports: [{ port: 8080, serves: "REST API", source: `${DLSPS} docker/docker-compose.yml REST_SERVER_PORT=8080, ports 8080:8080` }],
  health: [{ port: 8080, path: "/pipelines", source: `${DLSPS} REST API: GET /pipelines lists the loaded pipeline definitions (user guide, REST endpoints)` }],
  writes: [
    { path: "/var/cache/pipeline_root", why: "pipeline scratch space", source: `${DLSPS} docker/docker-compose.yml: read_only: true with vol_pipeline_root (tmpfs) on /var/cache/pipeline_root` },
    { path: "/tmp", why: "temporary files", source: `${DLSPS} docker/docker-compose.yml mounts /tmp` },
    {
      path: "/home/intelmicroserviceuser/.cache",
      why: "caches under HOME (the user's own home, created by useradd -m), e.g. OpenVINO and Python",
      source: `${DLSPS} Dockerfile: useradd -ms /bin/bash; mkdir -p /home/\${USER}`,
    },
    { path: "/var/tmp", why: "temporary files of GStreamer/Python libraries", source: "unverified: reported when running with a read-only root (issue 18); not found in the Dockerfile" },
  ],
  commands: [],
  env: [
    { name: "REST_SERVER_PORT", purpose: "REST port", source: `${DLSPS} docker/docker-compose.yml` },
    { name: "MQTT_HOST", purpose: "default MQTT broker", source: `${DLSPS} docker/docker-compose.yml` },
    { name: "MQTT_PORT", purpose: "its port", source: `${DLSPS} docker/docker-compose.yml` },
    { name: "DETECTION_DEVICE", purpose: "default detection device", source: `${DLSPS} docker/docker-compose.yml` },
    { name: "ENABLE_RTSP", purpose: "RTSP output server", source: `${DLSPS} docker/docker-compose.yml` },
  ],
};

const HAPROXY_IMAGE = "docker-library/haproxy 3.2 alpine (Dockerfile and docker-entrypoint.sh; not re-read in this review)";

export const HAPROXY_CONTRACT: ImageContract = {
  name: "haproxy",
  upstream: "haproxy 3.2 (official image)",
  user: { name: "haproxy", source: `unverified: USER haproxy in ${HAPROXY_IMAGE}` },
  entrypoint: {
    argv: ["docker-entrypoint.sh"],
    passesArgs: "exec",
    dashArgsRun: "haproxy",
    source: `unverified: ${HAPROXY_IMAGE}: arguments starting with '-' run haproxy -W -db with them`,
  },
  ports: [
    { port: 8080, serves: "pipeline requests (bind in the rendered haproxy.cfg)", source: "charts/dlstreamer/haproxy-config.ts frontend pipelines" },
    { port: 8404, serves: "stats, /metrics and /healthz", source: "charts/dlstreamer/haproxy-config.ts frontend stats" },
  ],
  health: [{ port: 8404, path: "/healthz", source: "charts/dlstreamer/haproxy-config.ts monitor-uri /healthz (checked with the real haproxy, test/tools/haproxy.test.ts)" }],
  writes: [],
  commands: [{ argv: ["haproxy"], flags: ["-f", "-W", "-db", "-c"], source: "https://docs.haproxy.org/3.2/management.html#3 (command-line options)" }],
  env: [],
};

const MOSQUITTO_IMAGE = "eclipse/mosquitto docker/2.0/Dockerfile and docker-entrypoint.sh (not re-read in this review)";

export const MOSQUITTO_CONTRACT: ImageContract = {
  name: "eclipse-mosquitto",
  upstream: "eclipse-mosquitto 2.0 (official image, Alpine)",
  user: { uid: 1883, name: "mosquitto", source: `unverified: adduser -u 1883 mosquitto in ${MOSQUITTO_IMAGE}` },
  entrypoint: { argv: ["/docker-entrypoint.sh"], passesArgs: "exec", source: `unverified: ${MOSQUITTO_IMAGE}` },
  ports: [
    { port: 1883, serves: "MQTT clients (listener in the rendered mosquitto.conf)", source: "charts/dlstreamer/mosquitto-config.ts" },
    { port: 1884, serves: "MQTT publishers (listener in the rendered mosquitto.conf)", source: "charts/dlstreamer/mosquitto-config.ts" },
  ],
  health: [],
  writes: [{ path: "/mosquitto/data", why: "persistence database", source: "charts/dlstreamer/mosquitto-config.ts persistence_location" }],
  commands: [{ argv: ["cp"], flags: [], source: "busybox cp of the Alpine base (unverified)" }],
  env: [],
};

export const CURL_CONTRACT: ImageContract = {
  name: "curlimages/curl",
  upstream: "curl/curl-container (image curlimages/curl 8.x)",
  user: { uid: 100, name: "curl_user", source: "unverified: USER curl_user (UID 100) in curl/curl-container's Dockerfile" },
  entrypoint: { argv: ["/entrypoint.sh"], passesArgs: "exec", source: "unverified: curl/curl-container entrypoint.sh runs curl for arguments starting with '-', else exec" },
  ports: [],
  health: [],
  writes: [],
  commands: [{ argv: ["sh"], flags: [], source: "busybox sh of the Alpine base (unverified)" }],
  env: [],
};

/** The contract of each DL Streamer container, by container name. */
export const DLSTREAMER_IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = {
  "pipeline-server": PIPELINE_SERVER_CONTRACT,
  "fetch-model": CURL_CONTRACT,
  "pipeline-status": CURL_CONTRACT,
  haproxy: HAPROXY_CONTRACT,
  mosquitto: MOSQUITTO_CONTRACT,
  "private-files": MOSQUITTO_CONTRACT,
};
