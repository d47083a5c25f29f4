import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { addImagePullSecret, colocateWith, tcpLiveness, useRecreateStrategy } from "../../constructs/deployment-patches";
import { Microservice } from "../../constructs/microservice";
import { overrideProbes } from "../../constructs/probe-overrides";
import { TlsIngress } from "../../constructs/tls-ingress";
import { ingressIssuer } from "../tls";
import type { PlatformValues } from "../values";
import {
  DASHBOARD_PORT,
  DASK_NAMESPACE,
  DATA_MOUNT_PATH,
  DaskValues,
  NOTEBOOK_PORT,
  SCHEDULER_PORT,
  workerFlags,
  WORKSPACE_PATH,
} from "./values";

/** Props of {@link DaskChart}. Plain data only. */
export interface DaskChartProps {
  readonly values: PlatformValues;
}

/** Where the notebook can write to populate an EBS data volume (EBS mode only). */
export const DATA_LOAD_PATH = "/arl/data-load";
/** Port of the worker's HTTP server (its dashboard and /health). */
export const WORKER_HTTP_PORT = 8789;

const PART_OF = "arl";
/** Dask and Jupyter both keep caches and config under $HOME; the root filesystem is read-only. */
const HOME = "/tmp";

/**
 * The Algorithm Reference Library's Dask cluster: one scheduler (8786, dashboard
 * 8787), workers sized from the values, and a Jupyter notebook server (8888)
 * whose `DASK_SCHEDULER_ADDRESS` points at the scheduler. The test data is
 * mounted read-only at /arl/data in the notebook and the workers.
 */
export class DaskChart extends Chart {
  readonly scheduler: Microservice;
  readonly workers: Microservice;
  readonly notebook: Microservice;
  readonly dataClaimName: string;

  constructor(scope: Construct, id: string, props: DaskChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { global, dask: v } = props.values;
    if (v.notebook.passwordSecret.name === "") {
      // parseDaskValues reports this with the key path; this guards direct construction.
      throw new Error(
        "dask.notebook.passwordSecret.name: got nothing; allowed: the name of the Secret holding the notebook password",
      );
    }
    const ns = DASK_NAMESPACE;
    new AppNamespace(this, "Namespace", { name: ns });
    const schedulerAddress = `tcp://dask-scheduler.${ns}.svc:${SCHEDULER_PORT}`;

    // The dashboard doubles as the scheduler's health endpoint (/health).
    this.scheduler = new Microservice(this, "Scheduler", {
      name: "dask-scheduler",
      namespace: ns,
      partOf: PART_OF,
      image: v.image,
      args: ["dask", "scheduler", "--port", String(SCHEDULER_PORT), "--dashboard-address", `:${DASHBOARD_PORT}`],
      port: DASHBOARD_PORT,
      servicePort: DASHBOARD_PORT,
      readinessPath: "/health",
      livenessPath: "/health",
      resources: v.scheduler.resources,
      env: { HOME },
      // The dask image runs as root by default; any UID works with HOME on /tmp.
    });
    const schedulerContainer = this.scheduler.deployment.containers[0];
    schedulerContainer.addPort({ number: SCHEDULER_PORT, name: "scheduler" });
    this.scheduler.service?.bind(SCHEDULER_PORT, { targetPort: SCHEDULER_PORT, name: "scheduler" });

    const flags = workerFlags(v.workers);
    const workerResources = {
      cpu: { request: v.workers.cpu, limit: v.workers.cpu },
      memory: { request: v.workers.memory, limit: v.workers.memory },
    };
    this.workers = new Microservice(this, "Workers", {
      name: "dask-worker",
      namespace: ns,
      partOf: PART_OF,
      image: v.image,
      args: [
        "dask",
        "worker",
        schedulerAddress,
        "--nworkers",
        "1",
        "--nthreads",
        String(flags.nthreads),
        "--memory-limit",
        String(flags.memoryLimitBytes),
        "--dashboard-address",
        `:${WORKER_HTTP_PORT}`,
        // Spilled data goes to the pod's scratch space, not the read-only root.
        "--local-directory",
        "/tmp/dask-worker-space",
      ],
      port: WORKER_HTTP_PORT,
      expose: false,
      readinessPath: "/health",
      livenessPath: "/health",
      resources: workerResources,
      replicas: v.workers.replicas,
      // A worker hands its in-memory results to its peers on SIGTERM (the
      // nanny's graceful close) before exiting.
      shutdown: { terminationGracePeriodSeconds: 60 },
      env: { HOME },
    });

    this.notebook = new Microservice(this, "Notebook", {
      name: "notebook",
      namespace: ns,
      partOf: PART_OF,
      image: v.notebookImage,
      args: [
        "jupyter",
        "lab",
        "--ip=0.0.0.0",
        `--port=${NOTEBOOK_PORT}`,
        "--no-browser",
        `--ServerApp.root_dir=${WORKSPACE_PATH}`,
      ],
      port: NOTEBOOK_PORT,
      servicePort: NOTEBOOK_PORT,
      // /api answers without authentication; everything else needs the password.
      readinessPath: "/api",
      livenessPath: "/api",
      startupSeconds: 120,
      resources: v.notebook.resources,
      env: { HOME, DASK_SCHEDULER_ADDRESS: schedulerAddress },
      // Jupyter accepts JUPYTER_TOKEN on its login page, so the Secret's value is the password users type.
      envFromSecrets: { JUPYTER_TOKEN: { secretName: v.notebook.passwordSecret.name, key: v.notebook.passwordSecret.key } },
      // Default non-root UID: HOME is /tmp and notebooks live on /workspace
      // (group-owned through fsGroup), so jovyan's home is not needed.
    });

    for (const m of [this.scheduler, this.workers, this.notebook]) {
      if (v.imagePullSecret) addImagePullSecret(m.deployment, v.imagePullSecret);
    }
    // Dask and Jupyter have one health endpoint each, used for readiness; a
    // busy scheduler or kernel must not be restarted, so liveness only checks
    // that the main port still accepts connections.
    overrideProbes(this.scheduler.deployment, "dask-scheduler", { liveness: tcpLiveness(SCHEDULER_PORT) });
    overrideProbes(this.workers.deployment, "dask-worker", { liveness: tcpLiveness(WORKER_HTTP_PORT) });
    overrideProbes(this.notebook.deployment, "notebook", { liveness: tcpLiveness(NOTEBOOK_PORT) });

    // Saved notebooks outlive the pod. The volume is ReadWriteOnce, so the
    // notebook is replaced (old pod gone first), never rolled.
    const workspace = new k8s.KubePersistentVolumeClaim(this, "Workspace", {
      metadata: { name: "notebook-workspace", namespace: ns, labels: { "app.kubernetes.io/part-of": PART_OF } },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: global.storageClass,
        resources: { requests: { storage: k8s.Quantity.fromString(v.notebook.workspaceSize) } },
      },
    });
    this.notebook.deployment.containers[0].mount(
      WORKSPACE_PATH,
      kplus.Volume.fromPersistentVolumeClaim(
        this,
        "WorkspaceVolume",
        kplus.PersistentVolumeClaim.fromClaimName(this, "WorkspaceRef", workspace.name),
        { name: "workspace" },
      ),
    );
    useRecreateStrategy(this.notebook.deployment);

    this.dataClaimName = "arl-data";
    const claim = this.dataClaim(v, ns);
    const dataVolume = kplus.Volume.fromPersistentVolumeClaim(this, "DataVolume", claim, { name: "arl-data" });
    this.workers.deployment.containers[0].mount(DATA_MOUNT_PATH, dataVolume, { readOnly: true });
    this.notebook.deployment.containers[0].mount(DATA_MOUNT_PATH, dataVolume, { readOnly: true });
    if (v.data.kind === "ebs") {
      // An EBS volume is ReadWriteOnce: it attaches to one node, so every pod
      // that mounts it must run there: workers follow the notebook. This caps
      // the cluster at one node's capacity: use NFS to scale out.
      this.notebook.deployment.containers[0].mount(DATA_LOAD_PATH, dataVolume, { readOnly: false });
      colocateWith(this.workers.deployment, { ...this.notebook.selectorLabels });
    }

    const issuer = ingressIssuer(global);
    const websocketAnnotations = (service: string) => ({
      // Both the Bokeh dashboard and Jupyter kernels talk over websockets,
      // which the F5 NGINX Ingress Controller proxies only for listed services.
      "nginx.org/websocket-services": service,
      "nginx.org/proxy-read-timeout": "3600s",
      "nginx.org/proxy-send-timeout": "3600s",
    });
    new TlsIngress(this, "DashboardIngress", {
      name: "dask-dashboard",
      namespace: ns,
      host: v.ingress.dashboardHost,
      service: this.scheduler.service!,
      servicePort: DASHBOARD_PORT,
      ingressClassName: global.ingressClass,
      issuer,
      annotations: websocketAnnotations("dask-scheduler"),
    });
    new TlsIngress(this, "NotebookIngress", {
      name: "notebook",
      namespace: ns,
      host: v.ingress.notebookHost,
      service: this.notebook.service!,
      servicePort: NOTEBOOK_PORT,
      ingressClassName: global.ingressClass,
      issuer,
      annotations: { ...websocketAnnotations("notebook"), "nginx.org/client-max-body-size": "512m" },
    });
  }

  /** The claim behind /arl/data: bound to a static NFS PersistentVolume, or provisioned on EBS. */
  private dataClaim(v: DaskValues, ns: string): kplus.IPersistentVolumeClaim {
    const d = v.data;
    const labels = { "app.kubernetes.io/name": "arl-data", "app.kubernetes.io/part-of": PART_OF };
    if (d.kind === "nfs") {
      // PersistentVolumes are cluster-scoped: prefix with the namespace to keep the name unique.
      const pvName = `${ns}-arl-data`;
      new k8s.KubePersistentVolume(this, "NfsVolume", {
        metadata: { name: pvName, labels },
        spec: {
          capacity: { storage: k8s.Quantity.fromString(d.size) },
          accessModes: ["ReadOnlyMany"],
          persistentVolumeReclaimPolicy: "Retain",
          // Empty class: bound only to the claim below, never by a provisioner.
          storageClassName: "",
          mountOptions: d.mountOptions,
          nfs: { server: d.server, path: d.path, readOnly: true },
          claimRef: { namespace: ns, name: this.dataClaimName },
        },
      });
      new k8s.KubePersistentVolumeClaim(this, "DataClaim", {
        metadata: { name: this.dataClaimName, namespace: ns, labels },
        spec: {
          accessModes: ["ReadOnlyMany"],
          storageClassName: "",
          volumeName: pvName,
          resources: { requests: { storage: k8s.Quantity.fromString(d.size) } },
        },
      });
    } else {
      new k8s.KubePersistentVolumeClaim(this, "DataClaim", {
        metadata: { name: this.dataClaimName, namespace: ns, labels },
        spec: {
          // EBS offers no ReadOnlyMany: see the co-location above.
          accessModes: ["ReadWriteOnce"],
          storageClassName: d.storageClass,
          resources: { requests: { storage: k8s.Quantity.fromString(d.size) } },
        },
      });
    }
    return kplus.PersistentVolumeClaim.fromClaimName(this, "DataClaimRef", this.dataClaimName);
  }
}
