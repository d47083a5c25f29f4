/**
 * What Gosty's images do, read from upstream (github.com/luqmansen/gosty at
 * 3b7a9239, the head of `main`, 2022-12-31; the images are built from its
 * docker/*.Dockerfile) and from the official images' documentation. Each
 * fact names where it was read; see charts/image-contract.ts.
 */
import type { ImageContract } from "../image-contract";

const GOSTY = "luqmansen/gosty@3b7a9239";
/** Every Gosty binary loads config.env from its working directory with viper.AutomaticEnv (pkg/apiserver/config/config.go). */
const CONFIG_ENV = `${GOSTY} pkg/apiserver/config/config.go LoadConfig + config/type.go`;

const gostyEnv = [
  { name: "MONGODB_SERVICE_HOST", purpose: "MongoDB host", source: CONFIG_ENV },
  { name: "MONGODB_SERVICE_PORT", purpose: "MongoDB port", source: CONFIG_ENV },
  { name: "MONGODB_USERNAME", purpose: "MongoDB user", source: CONFIG_ENV },
  { name: "MONGODB_PASSWORD", purpose: "MongoDB password", source: CONFIG_ENV },
  { name: "MONGODB_DATABASE", purpose: "database name", source: CONFIG_ENV },
  { name: "RABBIT_RABBITMQ_SERVICE_HOST", purpose: "RabbitMQ host", source: CONFIG_ENV },
  { name: "RABBIT_RABBITMQ_SERVICE_PORT", purpose: "RabbitMQ AMQP port", source: CONFIG_ENV },
  { name: "RABBITMQ_USERNAME", purpose: "RabbitMQ user", source: CONFIG_ENV },
  { name: "RABBITMQ_PASSWORD", purpose: "RabbitMQ password", source: CONFIG_ENV },
  { name: "GOSTY_FILESERVER_SERVICE_HOST", purpose: "file server host (uploads, readiness check)", source: CONFIG_ENV },
  { name: "GOSTY_FILESERVER_SERVICE_PORT", purpose: "file server port", source: CONFIG_ENV },
] as const;

/** docker/apiserver.Dockerfile: FROM jrottenberg/ffmpeg:4.3-alpine312, WORKDIR /app, ENTRYPOINT /usr/bin/env, CMD ./apiserver. */
export const GOSTY_APISERVER_CONTRACT: ImageContract = {
  name: "gosty-apiserver",
  upstream: GOSTY,
  user: { name: "root", source: `${GOSTY} docker/apiserver.Dockerfile (no USER line: the base image's root)` },
  entrypoint: { argv: ["/usr/bin/env"], passesArgs: "exec", source: `${GOSTY} docker/apiserver.Dockerfile ENTRYPOINT ["/usr/bin/env"]` },
  ports: [
    { port: 8000, serves: "HTTP API", source: `${GOSTY} cmd/apiserver/main.go: util.GetEnv("PORT", "8000")` },
    { port: 8086, serves: "health (/live, /ready)", source: `${GOSTY} pkg/apiserver/util/healthcheck.go: port := "8086"` },
  ],
  health: [
    { port: 8086, path: "/live", source: `${GOSTY} pkg/apiserver/util/healthcheck.go (heptiolabs/healthcheck handler: goroutine threshold)` },
    {
      port: 8086,
      path: "/ready",
      source: `${GOSTY} pkg/apiserver/util/healthcheck.go: MongoDB ping, RabbitMQ channel, HTTP GET of the file server, DNS of gosty-fileserver-headless.gosty.svc.cluster.local`,
    },
  ],
  writes: [{ path: "/app/tmp", why: "uploaded videos before they go to the file server", source: `${GOSTY} pkg/apiserver/api/video_handler.go apiserverTempDir = "./tmp/" (WORKDIR /app)` }],
  commands: [{ argv: ["./apiserver"], flags: [], source: `${GOSTY} docker/apiserver.Dockerfile CMD ["./apiserver"]` }],
  env: [...gostyEnv, { name: "PORT", purpose: "HTTP port", source: `${GOSTY} cmd/apiserver/main.go` }],
  needsServiceAccountToken: {
    source: `${GOSTY} cmd/apiserver/main.go: rest.InClusterConfig() or log.Fatalf (used to scale the gosty-worker Deployment, pkg/apiserver/services/worker_logic.go)`,
  },
};

/** docker/fileserver.Dockerfile: FROM rastasheep/ubuntu-sshd:18.04, WORKDIR /app, CMD sshd && ./fileserver. */
export const GOSTY_FILESERVER_CONTRACT: ImageContract = {
  name: "gosty-fileserver",
  upstream: GOSTY,
  user: { name: "root", source: `${GOSTY} docker/fileserver.Dockerfile (no USER line)` },
  entrypoint: {
    argv: [],
    passesArgs: "exec",
    source: `${GOSTY} docker/fileserver.Dockerfile: no ENTRYPOINT (unverified: that the rastasheep/ubuntu-sshd:18.04 base sets none either; only CMD ["/usr/sbin/sshd","-D"] is documented)`,
  },
  ports: [{ port: 8001, serves: "HTTP file server (GET / answers OK)", source: `${GOSTY} cmd/fileserver/main.go: util.GetEnv("PORT", "8001")` }],
  health: [
    { port: 8001, path: "/", source: `${GOSTY} pkg/fileserver/handler.go Index writes "OK" (no health endpoint of its own; nothing listens on 8086)` },
    { port: 8001, path: "/version", source: `${GOSTY} cmd/fileserver/main.go util.GetVersionEndpoint(router, gitCommit)` },
  ],
  writes: [{ path: "/app/storage", why: "uploaded and transcoded files", source: `${GOSTY} cmd/fileserver/main.go: workDir + "/" + STORAGE (default storage)` }],
  commands: [
    // sshd only serves the lsyncd peer sync of a multi-replica StatefulSet; it
    // cannot start as a non-root UID with every capability dropped.
    { argv: ["./fileserver"], flags: [], source: `${GOSTY} docker/fileserver.Dockerfile CMD "/usr/sbin/sshd && ./fileserver"` },
  ],
  env: [
    { name: "STORAGE", purpose: "storage folder under the working directory", source: `${GOSTY} cmd/fileserver/main.go` },
    { name: "FILESERVER_PEER_HOST", purpose: "peers for the lsyncd sync (none: one replica)", source: `${GOSTY} cmd/fileserver/main.go` },
  ],
};

/** docker/worker.Dockerfile: FROM luqmansen/alpine-ffmpeg-mp4box (alpine:3.12, CMD /bin/sh), WORKDIR /app, CMD ./worker. */
export const GOSTY_WORKER_CONTRACT: ImageContract = {
  name: "gosty-worker",
  upstream: GOSTY,
  user: { name: "root", source: `${GOSTY} docker/worker.Dockerfile and docker/alpine-ffmpeg-mp4box.Dockerfile (no USER line)` },
  entrypoint: { argv: [], passesArgs: "exec", source: `${GOSTY} docker/alpine-ffmpeg-mp4box.Dockerfile: no ENTRYPOINT` },
  ports: [
    { port: 8087, serves: "health (/live, /ready)", source: `${GOSTY} pkg/worker/health.go: port := "8087"` },
    { port: 8088, serves: "system info the API server pings at <POD_IP>:8088", source: `${GOSTY} cmd/worker/main.go ListenAndServe(":8088") and pkg/apiserver/services/worker_logic.go` },
  ],
  health: [
    { port: 8087, path: "/live", source: `${GOSTY} pkg/worker/health.go (goroutine threshold)` },
    { port: 8087, path: "/ready", source: `${GOSTY} pkg/worker/health.go: RabbitMQ channel and HTTP GET of the file server` },
  ],
  writes: [
    { path: "/app/tmpworker", why: "videos being split, transcoded and merged", source: `${GOSTY} pkg/worker/worker.go TmpPath = "tmpworker" (WORKDIR /app; the image's copy is root-owned)` },
  ],
  commands: [{ argv: ["./worker"], flags: [], source: `${GOSTY} docker/worker.Dockerfile CMD ["./worker"]` }],
  env: [
    ...gostyEnv,
    {
      name: "POD_IP",
      purpose: "address the worker registers with the API server, which pings it on 8088",
      required: true,
      source: `${GOSTY} pkg/worker/worker.go getWorkerHost: viper.GetString("POD_IP") when KUBERNETES_SERVICE_HOST is set`,
    },
  ],
};

const DOCKER_LIBRARY = "the official image's documentation on hub.docker.com (not re-read in this review)";

/** Official rabbitmq image, management variant. */
export const RABBITMQ_CONTRACT: ImageContract = {
  name: "rabbitmq",
  upstream: "docker-library/rabbitmq 4.2-management",
  user: { uid: 999, name: "rabbitmq", source: `unverified: UID 999 from ${DOCKER_LIBRARY}` },
  entrypoint: { argv: ["docker-entrypoint.sh"], passesArgs: "exec", source: `unverified: ${DOCKER_LIBRARY}` },
  ports: [
    { port: 5672, serves: "AMQP", source: "https://www.rabbitmq.com/docs/networking#ports" },
    { port: 15672, serves: "management HTTP API", source: "https://www.rabbitmq.com/docs/networking#ports" },
    { port: 15692, serves: "Prometheus metrics", source: "https://www.rabbitmq.com/docs/prometheus" },
    { port: 4369, serves: "epmd", source: "https://www.rabbitmq.com/docs/networking#ports" },
    { port: 25672, serves: "inter-node and CLI", source: "https://www.rabbitmq.com/docs/networking#ports" },
  ],
  health: [],
  writes: [
    { path: "/var/lib/rabbitmq", why: "node data and the Erlang cookie", source: "https://www.rabbitmq.com/docs/relocate (default data directory on Debian-based images)" },
    { path: "/var/log/rabbitmq", why: "log files", source: "https://www.rabbitmq.com/docs/logging" },
  ],
  commands: [
    { argv: ["sh"], flags: [], source: "POSIX shell of the Ubuntu base (unverified)" },
    { argv: ["rabbitmq-diagnostics"], flags: ["-q"], source: "https://www.rabbitmq.com/docs/man/rabbitmq-diagnostics.8" },
  ],
  env: [],
};

/** Official mongo image. */
export const MONGODB_CONTRACT: ImageContract = {
  name: "mongo",
  upstream: "docker-library/mongo 8.0",
  user: { uid: 999, name: "mongodb", source: `unverified: UID 999 from ${DOCKER_LIBRARY}` },
  entrypoint: { argv: ["docker-entrypoint.sh"], passesArgs: "exec", source: `unverified: ${DOCKER_LIBRARY}` },
  ports: [{ port: 27017, serves: "MongoDB wire protocol", source: "https://www.mongodb.com/docs/manual/reference/default-mongodb-port/" }],
  health: [],
  writes: [{ path: "/data/db", why: "database files", source: `VOLUME /data/db, ${DOCKER_LIBRARY}` }],
  commands: [
    {
      argv: ["mongod"],
      flags: ["--bind_ip_all", "--wiredTigerCacheSizeGB"],
      source: "https://www.mongodb.com/docs/manual/reference/program/mongod/",
    },
  ],
  env: [
    { name: "MONGO_INITDB_ROOT_USERNAME", purpose: "root user created on an empty data directory", source: DOCKER_LIBRARY },
    { name: "MONGO_INITDB_ROOT_PASSWORD", purpose: "its password", source: DOCKER_LIBRARY },
  ],
};

const ELASTIC = "https://www.elastic.co/guide/en/elasticsearch/reference/8.19/docker.html";
/** The image's Dockerfile template, read on main (@000e0183), not on the 8.19 branch: USER, ENTRYPOINT and EXPOSE have not changed across 8.x. */
const ES_DOCKERFILE = "elastic/elasticsearch@000e0183 distribution/docker/src/docker/Dockerfile";

export const ELASTICSEARCH_CONTRACT: ImageContract = {
  name: "elasticsearch",
  upstream: "docker.elastic.co/elasticsearch/elasticsearch 8.19.26 (documentation of the 8.19 line)",
  user: { uid: 1000, name: "elasticsearch", source: `${ES_DOCKERFILE}: adduser -u 1000 elasticsearch, USER elasticsearch:root; ${ELASTIC} (runs as uid:gid 1000:0)` },
  entrypoint: {
    argv: ["/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"],
    passesArgs: "exec",
    source: `${ES_DOCKERFILE}: ENTRYPOINT ["/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"], CMD ["eswrapper"] (unverified: that docker-entrypoint.sh execs any other command)`,
  },
  ports: [{ port: 9200, serves: "REST API", source: `${ES_DOCKERFILE}: EXPOSE 9200 9300; ${ELASTIC}` }],
  health: [],
  writes: [
    { path: "/usr/share/elasticsearch/data", why: "indices", source: ELASTIC },
    { path: "/usr/share/elasticsearch/logs", why: "logs and GC logs", source: ELASTIC },
    { path: "/usr/share/elasticsearch/config", why: "keystore created at start", source: ELASTIC },
  ],
  commands: [
    { argv: ["sh"], flags: [], source: "POSIX shell of the Ubuntu base (unverified)" },
    { argv: ["cp"], flags: ["-a"], source: "coreutils of the Ubuntu base (unverified)" },
  ],
  env: [{ name: "ELASTIC_PASSWORD", purpose: "password of the elastic user", source: ELASTIC }],
};

const KIBANA = "https://www.elastic.co/guide/en/kibana/8.19/docker.html";
/** The image's Dockerfile template, read on main (@00016fb3), not on the 8.19 branch. */
const KIBANA_DOCKERFILE = "elastic/kibana@00016fb3 src/dev/build/tasks/os_packages/docker_generator/templates/base/Dockerfile";

export const KIBANA_CONTRACT: ImageContract = {
  name: "kibana",
  upstream: "docker.elastic.co/kibana/kibana 8.19.26 (documentation of the 8.19 line)",
  user: { uid: 1000, name: "kibana", source: `${KIBANA_DOCKERFILE}: useradd --uid 1000 kibana, USER 1000` },
  entrypoint: { argv: ["/bin/tini", "--"], passesArgs: "exec", source: `${KIBANA_DOCKERFILE}: ENTRYPOINT ["/bin/tini", "--"], CMD ["/usr/local/bin/kibana-docker"]` },
  ports: [{ port: 5601, serves: "HTTP UI and API", source: `${KIBANA_DOCKERFILE}: EXPOSE 5601; ${KIBANA}` }],
  health: [{ port: 5601, path: "/api/status", source: "https://www.elastic.co/guide/en/kibana/8.19/access.html#status (anonymous with STATUS_ALLOWANONYMOUS)" }],
  writes: [{ path: "/usr/share/kibana/data", why: "UUID and plugin data", source: KIBANA }],
  commands: [],
  env: [
    { name: "ELASTICSEARCH_HOSTS", purpose: "elasticsearch.hosts", source: KIBANA },
    { name: "ELASTICSEARCH_USERNAME", purpose: "elasticsearch.username", source: KIBANA },
    { name: "ELASTICSEARCH_PASSWORD", purpose: "elasticsearch.password", source: KIBANA },
  ],
};

/** The contract of each Gosty container, by container name. */
export const GOSTY_IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = {
  "gosty-apiserver": GOSTY_APISERVER_CONTRACT,
  "gosty-fileserver": GOSTY_FILESERVER_CONTRACT,
  "gosty-worker": GOSTY_WORKER_CONTRACT,
  rabbitmq: RABBITMQ_CONTRACT,
  "erlang-cookie": RABBITMQ_CONTRACT,
  mongodb: MONGODB_CONTRACT,
  elasticsearch: ELASTICSEARCH_CONTRACT,
  "seed-config": ELASTICSEARCH_CONTRACT,
  "set-password": ELASTICSEARCH_CONTRACT,
  kibana: KIBANA_CONTRACT,
};
