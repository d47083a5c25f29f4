/** Object names, paths and ports of the Dask chart, shared by its components. */
import { Peer } from "../../constructs/caller-policy";

/** Names of the Deployments and Services (and label `app.kubernetes.io/name` of their pods). */
export const DASK_NAMES = {
  scheduler: "dask-scheduler",
  workers: "dask-worker",
  notebook: "notebook",
} as const;

/** The pods of one of the chart's components (`app.kubernetes.io/name`), as a caller of another. */
export function daskPods(name: (typeof DASK_NAMES)[keyof typeof DASK_NAMES]): Peer {
  return Peer.pods({ "app.kubernetes.io/name": name });
}

/** Label `app.kubernetes.io/part-of` of every object. */
export const DASK_PART_OF = "arl";

/** Where the notebook can write to populate an EBS data volume (EBS mode only). */
export const DATA_LOAD_PATH = "/arl/data-load";
/** Port of the worker's HTTP server (its dashboard and /health). */
export const WORKER_HTTP_PORT = 8789;

/** The command line an image has: current Dask (`dask scheduler`, JupyterLab) or the 2018 ARL image (`dask-scheduler`, classic notebook). */
export type DaskCli = "dask" | "arl-2018";

/** Dask and Jupyter both keep caches and config under $HOME; the root filesystem is read-only. */
export const DASK_HOME = "/tmp";
