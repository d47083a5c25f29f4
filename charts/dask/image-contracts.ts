/**
 * What the Dask chart's images do, each fact with where it was read (see
 * charts/image-contract.ts). Two families: current Dask images (the `dask`
 * command, distributed >= 2022.10) and the 2018 ARL image, whose
 * distributed has only `dask-scheduler` / `dask-worker` of that year.
 */
import type { ImageContract } from "../image-contract";
import { DASHBOARD_PORT, NOTEBOOK_PORT, SCHEDULER_PORT } from "./values";
import { DASK_HOME, WORKER_HTTP_PORT } from "./names";

const DASK_DOCKER = "dask/dask-docker base/Dockerfile and notebook/Dockerfile";
const DISTRIBUTED_CLI = "https://distributed.dask.org/en/stable/quickstart.html and `dask scheduler --help` / `dask worker --help` (distributed 2026.x)";

/** Port the ARL workers listen on for the scheduler (fixed so the probe has a port). */
export const ARL_WORKER_PORT = 8790;

const home = { path: DASK_HOME, why: "HOME: Dask and Jupyter config and caches (the chart sets HOME=/tmp)", source: "charts/dask (env HOME)" };

export const DASK_CONTRACT: ImageContract = {
  name: "dask",
  upstream: "ghcr.io/dask/dask (dask/dask-docker)",
  user: { name: "root", source: `${DASK_DOCKER}: base/Dockerfile has no USER line` },
  entrypoint: { argv: ["tini", "-g", "--", "/usr/bin/prepare.sh"], passesArgs: "exec", source: `${DASK_DOCKER}: ENTRYPOINT tini -g -- /usr/bin/prepare.sh, which execs its arguments` },
  ports: [
    { port: SCHEDULER_PORT, serves: "scheduler protocol", source: DISTRIBUTED_CLI },
    { port: DASHBOARD_PORT, serves: "scheduler dashboard and /health", source: DISTRIBUTED_CLI },
    { port: WORKER_HTTP_PORT, serves: "worker dashboard and /health", source: DISTRIBUTED_CLI },
  ],
  health: [
    { port: DASHBOARD_PORT, path: "/health", source: "distributed/http/health.py (the scheduler's HTTP server answers ok)" },
    { port: WORKER_HTTP_PORT, path: "/health", source: "distributed/http/health.py (the worker's HTTP server answers ok)" },
  ],
  writes: [home, { path: "/tmp/dask-worker-space", why: "spilled data (--local-directory)", source: DISTRIBUTED_CLI }],
  commands: [
    { argv: ["dask", "scheduler"], flags: ["--port", "--dashboard-address"], source: DISTRIBUTED_CLI },
    { argv: ["dask", "worker"], flags: ["--nworkers", "--nthreads", "--memory-limit", "--dashboard-address", "--local-directory"], source: DISTRIBUTED_CLI },
  ],
  env: [],
};

export const DASK_NOTEBOOK_CONTRACT: ImageContract = {
  name: "dask-notebook",
  upstream: "ghcr.io/dask/dask-notebook (dask/dask-docker, on jupyter/base-notebook)",
  user: { uid: 1000, name: "jovyan", source: `${DASK_DOCKER}: USER $NB_USER, NB_UID asserted to be 1000` },
  entrypoint: { argv: ["tini", "--", "/usr/bin/prepare.sh"], passesArgs: "exec", source: `${DASK_DOCKER}: ENTRYPOINT tini -- /usr/bin/prepare.sh` },
  ports: [{ port: NOTEBOOK_PORT, serves: "Jupyter server", source: "https://jupyter-server.readthedocs.io/en/latest/other/full-config.html (ServerApp.port)" }],
  health: [{ port: NOTEBOOK_PORT, path: "/api", source: "jupyter_server: GET /api answers the version without authentication" }],
  writes: [home, { path: "/workspace", why: "saved notebooks (--ServerApp.root_dir)", source: "charts/dask (workspace claim)" }],
  commands: [
    {
      argv: ["jupyter", "lab"],
      flags: ["--ip", "--port", "--no-browser", "--ServerApp.root_dir"],
      source: "https://jupyter-server.readthedocs.io/en/latest/other/full-config.html (ServerApp.root_dir, jupyter_server >= 1.0)",
    },
  ],
  env: [{ name: "JUPYTER_TOKEN", purpose: "login token", source: "jupyter_server ServerApp.token (JUPYTER_TOKEN)" }],
};

const ARL = "registry.gitlab.com/piersharding/arl-devops/arl_img:1b47647d";
const ARL_UNVERIFIED =
  "unverified: the image's Dockerfile (gitlab.com/piersharding/arl-devops) was not readable here; the 2018 CLI is inferred from the same author's " +
  "dask-operator launch scripts (gitlab.com/piersharding/dask-operator models/configs.go: dask-scheduler --port --dashboard-address, " +
  "dask-worker --nprocs --nthreads --memory-limit --local-directory, and the 2018 `--bokeh-port` line kept there in a comment; " +
  "jupyter notebook --no-browser --ip --port)";

export const ARL_CONTRACT: ImageContract = {
  name: "arl",
  upstream: `${ARL} (Ubuntu 18.04, Python 3.6, dask/distributed of 2018)`,
  user: { name: "root", source: ARL_UNVERIFIED },
  entrypoint: { argv: [], passesArgs: "exec", source: ARL_UNVERIFIED },
  ports: [
    { port: SCHEDULER_PORT, serves: "scheduler protocol", source: ARL_UNVERIFIED },
    { port: DASHBOARD_PORT, serves: "scheduler Bokeh dashboard (no /health in 2018)", source: ARL_UNVERIFIED },
    { port: ARL_WORKER_PORT, serves: "worker protocol (--worker-port)", source: ARL_UNVERIFIED },
    { port: NOTEBOOK_PORT, serves: "classic Jupyter notebook", source: ARL_UNVERIFIED },
  ],
  health: [{ port: NOTEBOOK_PORT, path: "/api", source: "classic notebook: GET /api answers the version without authentication" }],
  writes: [home],
  commands: [
    { argv: ["dask-scheduler"], flags: ["--port", "--bokeh-port"], source: ARL_UNVERIFIED },
    { argv: ["dask-worker"], flags: ["--nprocs", "--nthreads", "--memory-limit", "--local-directory", "--worker-port", "--no-bokeh"], source: ARL_UNVERIFIED },
    { argv: ["jupyter", "notebook"], flags: ["--ip", "--port", "--no-browser", "--NotebookApp.notebook_dir"], source: ARL_UNVERIFIED },
  ],
  env: [],
};

/** Whether `image` is the 2018 ARL image (legacy Dask CLI, classic notebook). */
export function isArlImage(image: string): boolean {
  return /(^|\/)arl_img(:|@|$)/.test(image);
}

/** The contract of a Dask container, by container name and image. */
export function daskImageContract(container: string, image: string): ImageContract | undefined {
  if (isArlImage(image)) return ARL_CONTRACT;
  if (container === "notebook") return DASK_NOTEBOOK_CONTRACT;
  if (container === "dask-scheduler" || container === "dask-worker") return DASK_CONTRACT;
  return undefined;
}
