/**
 * Values of the Dask cluster with its Jupyter notebook, for the Algorithm
 * Reference Library (`dask:` in a values file).
 */
import {
  CPU_QUANTITY_ALLOWED,
  cpuMillis,
  MEMORY_QUANTITY_ALLOWED,
  memoryMebibytes,
  ResourceSpec,
} from "../../constructs/resources";
import { Validator } from "../../lib/validate";
import type { GlobalValues } from "../global-values";
import { RequiredSecret } from "../required-secrets";
import {
  readDataKey,
  readHost,
  readImage,
  readResources,
  readSecretName,
  section,
} from "../values-common";

/** Namespace of every namespaced object of the chart. */
export const DASK_NAMESPACE = "dask";

/**
 * Dask's own images (the scheduler and workers run `dask`, the notebook runs
 * JupyterLab with the same Dask release). For the ARL, set both to the ARL
 * image, which contains all three roles.
 */
export const DEFAULT_DASK_IMAGE = "ghcr.io/dask/dask:2026.8.0-py3.12";
export const DEFAULT_NOTEBOOK_IMAGE = "ghcr.io/dask/dask-notebook:2026.8.0-py3.12";

/**
 * Name Pulumi gives the notebook password Secret it generates (with
 * @pulumi/random) when the stack's values leave
 * `dask.notebook.passwordSecret.name` out: it sets that key to this name
 * before parsing the values, then creates the Secret with the key
 * `dask.notebook.passwordSecret.key` (default `password`).
 */
export const GENERATED_NOTEBOOK_PASSWORD_SECRET = "dask-notebook-password";

export const SCHEDULER_PORT = 8786;
export const DASHBOARD_PORT = 8787;
export const NOTEBOOK_PORT = 8888;
/** Where the test data is mounted, read-only, in the notebook and the workers. */
export const DATA_MOUNT_PATH = "/arl/data";
/** The notebook server's root directory, on its own volume so saved notebooks survive restarts. */
export const WORKSPACE_PATH = "/workspace";

export interface DaskWorkerValues {
  readonly replicas: number;
  /** CPU of each worker container (request = limit), e.g. `500m`. */
  readonly cpu: string;
  /** Memory of each worker container (request = limit), e.g. `512Mi`. */
  readonly memory: string;
}

export interface DaskNotebookValues {
  readonly resources: ResourceSpec;
  /** Size of the notebook's own volume (`/workspace`), where notebooks are saved. */
  readonly workspaceSize: string;
  /**
   * Secret holding the notebook password. Pulumi generates it when it
   * deploys the chart; for `npm run synth` it must be named explicitly.
   */
  readonly passwordSecret: { readonly name: string; readonly key: string };
}

/** The test data: an NFS export, or (no `nfs.server`) an EBS volume. */
export type DaskDataValues =
  | {
      readonly kind: "nfs";
      readonly server: string;
      readonly path: string;
      readonly size: string;
      readonly mountOptions: string[];
    }
  | {
      readonly kind: "ebs";
      readonly size: string;
      readonly storageClass: string;
    };

export interface DaskValues {
  /** The chart is synthesized and deployed only when enabled. */
  readonly enabled: boolean;
  /** Image of the scheduler and workers. */
  readonly image: string;
  /** Image of the notebook server. */
  readonly notebookImage: string;
  /** Existing `kubernetes.io/dockerconfigjson` Secret to pull the images with. */
  readonly imagePullSecret?: string;
  readonly scheduler: { readonly resources: ResourceSpec };
  readonly workers: DaskWorkerValues;
  readonly notebook: DaskNotebookValues;
  readonly data: DaskDataValues;
  readonly ingress: { readonly dashboardHost: string; readonly notebookHost: string };
}

const SCHEDULER_RESOURCES: ResourceSpec = {
  cpu: { request: "250m", limit: "1" },
  memory: { request: "512Mi", limit: "1Gi" },
};
const NOTEBOOK_RESOURCES: ResourceSpec = {
  cpu: { request: "250m", limit: "1" },
  memory: { request: "1Gi", limit: "2Gi" },
};

const NFS_SERVER = /(?:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|(?:[0-9]{1,3}\.){3}[0-9]{1,3}/;
const NFS_PATH = /\/[A-Za-z0-9._~/-]*/;
const MOUNT_OPTION = /[a-z0-9_]+(=[A-Za-z0-9._:,-]+)?/;
const SIZE_ALLOWED = "a size in Mi or Gi such as 10Gi";

export function parseDaskValues(v: Validator, global: GlobalValues): DaskValues {
  v.rejectUnknownKeys(["enabled", "image", "notebookImage", "imagePullSecret", "scheduler", "workers", "notebook", "data", "ingress"]);
  const reg = global.imageRegistry;
  const enabled = v.boolean("enabled", false);
  const image = readImage(v, "image", DEFAULT_DASK_IMAGE, reg);
  const notebookImage = readImage(v, "notebookImage", DEFAULT_NOTEBOOK_IMAGE, reg);
  const imagePullSecret = v.has("imagePullSecret") ? readSecretName(v, "imagePullSecret", "") || undefined : undefined;

  const s = section(v, "scheduler");
  s.rejectUnknownKeys(["resources"]);
  const scheduler = { resources: readResources(s, "resources", SCHEDULER_RESOURCES) };

  const w = section(v, "workers");
  w.rejectUnknownKeys(["replicas", "cpu", "memory"]);
  const workers: DaskWorkerValues = {
    replicas: w.number("replicas", 1, { min: 1, max: 200 }),
    cpu: readQuantity(w, "cpu", "500m", (q) => cpuMillis(q) !== undefined, CPU_QUANTITY_ALLOWED),
    memory: readQuantity(w, "memory", "512Mi", (q) => memoryMebibytes(q) !== undefined, MEMORY_QUANTITY_ALLOWED),
  };

  const n = section(v, "notebook");
  n.rejectUnknownKeys(["resources", "passwordSecret", "workspaceSize"]);
  const ps = section(n, "passwordSecret");
  ps.rejectUnknownKeys(["name", "key"]);
  let passwordSecretName = "";
  if (enabled) {
    // No default name: a default would invite a hand-made Secret with a
    // well-known password. Pulumi fills this in with the Secret it generates.
    if (!ps.has("name")) {
      // Recorded on `v`: a section absent from the file gets a detached validator.
      v.failAt(
        v.keyPath("notebook.passwordSecret.name"),
        undefined,
        "the name of an existing Secret in namespace dask holding the notebook password " +
          "(Pulumi creates it with a random password; for `npm run synth` set it in the values file)",
      );
    } else {
      passwordSecretName = readSecretName(ps, "name", "");
    }
  } else if (ps.has("name")) {
    passwordSecretName = readSecretName(ps, "name", "");
  }
  const notebook: DaskNotebookValues = {
    resources: readResources(n, "resources", NOTEBOOK_RESOURCES),
    workspaceSize: readQuantity(n, "workspaceSize", "5Gi", (q) => memoryMebibytes(q) !== undefined, SIZE_ALLOWED),
    passwordSecret: { name: passwordSecretName, key: readDataKey(ps, "key", "password") },
  };

  const d = section(v, "data");
  d.rejectUnknownKeys(["nfs", "size", "storageClass"]);
  const size = readQuantity(d, "size", "10Gi", (q) => memoryMebibytes(q) !== undefined, SIZE_ALLOWED);
  const nfs = d.object("nfs");
  let data: DaskDataValues;
  if (nfs && nfs.has("server")) {
    nfs.rejectUnknownKeys(["server", "path", "mountOptions"]);
    if (d.has("storageClass")) {
      d.fail("storageClass", d.raw("storageClass"), "nothing when data.nfs.server is set (the NFS volume is bound statically)");
    }
    data = {
      kind: "nfs",
      server: nfs.string("server", "", { pattern: NFS_SERVER, allowed: "an NFS server host name or IPv4 address" }),
      path: nfs.string("path", "/", { pattern: NFS_PATH, allowed: "an absolute export path such as /exports/arl" }),
      size,
      mountOptions: nfs.stringList("mountOptions", ["nfsvers=4.1", "hard"], {
        pattern: MOUNT_OPTION,
        allowed: "an NFS mount option such as nfsvers=4.1",
      }),
    };
  } else {
    nfs?.rejectUnknownKeys(["server"]);
    if (nfs && (nfs.has("path") || nfs.has("mountOptions"))) {
      nfs.fail("server", undefined, "an NFS server host name or IPv4 address (data.nfs.path and mountOptions need it)");
    }
    const storageClass = d.string("storageClass", global.storageClass, { maxLength: 253, allowed: "a StorageClass name" });
    data = { kind: "ebs", size, storageClass };
  }

  const i = section(v, "ingress");
  i.rejectUnknownKeys(["dashboardHost", "notebookHost"]);
  const ingress = {
    dashboardHost: readHost(i, "dashboardHost", `dask.${global.domain}`),
    notebookHost: readHost(i, "notebookHost", `notebook.${global.domain}`),
  };

  return { enabled, image, notebookImage, imagePullSecret, scheduler, workers, notebook, data, ingress };
}

/** A quantity that YAML may hand over as a number (`cpu: 1`). */
function readQuantity(v: Validator, key: string, fallback: string, ok: (q: string) => boolean, allowed: string): string {
  const raw = v.raw(key);
  if (raw === undefined || raw === null) return fallback;
  const value = typeof raw === "number" ? String(raw) : raw;
  if (typeof value !== "string" || !ok(value)) {
    v.fail(key, raw, allowed);
    return fallback;
  }
  return value;
}

/**
 * Dask worker flags derived from the container's resources: one thread per
 * whole CPU (at least one, so a 500m worker runs one thread rather than
 * oversubscribing its CPU quota), and the container's memory limit as the
 * worker's, so the nanny restarts a worker before the kernel OOM-kills it.
 */
export function workerFlags(workers: DaskWorkerValues): { nthreads: number; memoryLimitBytes: number } {
  const millis = cpuMillis(workers.cpu) ?? 1000;
  const mib = memoryMebibytes(workers.memory) ?? 512;
  return { nthreads: Math.max(1, Math.floor(millis / 1000)), memoryLimitBytes: mib * 1024 * 1024 };
}

/** The Secrets the Dask chart expects to exist, for the deploying program to create. */
export function daskRequiredSecrets(values: DaskValues): RequiredSecret[] {
  if (!values.enabled) return [];
  return [
    {
      namespace: DASK_NAMESPACE,
      name: values.notebook.passwordSecret.name,
      keys: {
        [values.notebook.passwordSecret.key]: {
          description: "the Jupyter notebook password (entered on the login page)",
          generate: { kind: "random", length: 32 },
        },
      },
    },
  ];
}
