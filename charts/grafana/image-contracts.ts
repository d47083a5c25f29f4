/**
 * What the Grafana image does, each fact with where it was read. The
 * Dockerfile of the official image (grafana/grafana packaging/docker) was not
 * readable here: the facts come from Grafana's documentation and are marked
 * unverified where the documentation does not state them. See charts/image-contract.ts.
 */
import type { ImageContract } from "../image-contract";

const DOCKER_DOCS = "https://grafana.com/docs/grafana/latest/setup-grafana/configure-docker/";

export const GRAFANA_CONTRACT: ImageContract = {
  name: "grafana",
  upstream: "grafana/grafana 12.4.4 (documentation; Dockerfile not read)",
  user: { uid: 472, name: "grafana", source: `${DOCKER_DOCS} (the image runs as user 472)` },
  entrypoint: { argv: ["/run.sh"], passesArgs: "fixed", source: "unverified: ENTRYPOINT [\"/run.sh\"] of grafana's packaging/docker Dockerfile" },
  ports: [{ port: 3000, serves: "HTTP UI and API", source: `${DOCKER_DOCS} (docker run -p 3000:3000)` }],
  health: [{ port: 3000, path: "/api/health", source: "https://grafana.com/docs/grafana/latest/developers/http_api/other/#health-api" }],
  writes: [
    { path: "/var/lib/grafana", why: "SQLite database, plugins, sessions (GF_PATHS_DATA)", source: `${DOCKER_DOCS} (default paths: GF_PATHS_DATA=/var/lib/grafana)` },
  ],
  commands: [],
  env: [
    { name: "GF_PATHS_DATA", purpose: "data directory", source: DOCKER_DOCS },
    { name: "GF_SECURITY_ADMIN_PASSWORD", purpose: "admin password (any GF_<SECTION>_<KEY> overrides grafana.ini)", source: DOCKER_DOCS },
  ],
};

/** The contract of each Grafana container, by container name. */
export const GRAFANA_IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = { grafana: GRAFANA_CONTRACT };
