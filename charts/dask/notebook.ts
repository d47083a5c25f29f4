import * as kplus from "cdk8s-plus-28";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { Microservice } from "../../constructs/microservice";
import { DASK_HOME, DASK_NAMES, DASK_PART_OF, DATA_LOAD_PATH, DaskCli } from "./names";
import { portLiveness } from "./probes";
import { DATA_MOUNT_PATH, DaskNotebookValues, NOTEBOOK_PORT, WORKSPACE_PATH } from "./values";

/** Props of {@link DaskNotebook}. */
export interface DaskNotebookProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Image with JupyterLab and the same Dask release as the scheduler. */
  readonly image: string;
  /** The `dask.notebook` values: resources, workspace size, password Secret. */
  readonly values: DaskNotebookValues;
  /** StorageClass of the workspace claim. */
  readonly storageClass: string;
  /** Address of the scheduler (`tcp://host:port`), handed to notebooks as DASK_SCHEDULER_ADDRESS. */
  readonly schedulerAddress: string;
  /** The test data, mounted read-only at /arl/data. */
  readonly data: kplus.Volume;
  /**
   * Also mount the data writable at /arl/data-load, to populate a volume that
   * nothing else fills (EBS).
   * @default false
   */
  readonly dataWritable?: boolean;
  /**
   * Existing `kubernetes.io/dockerconfigjson` Secret to pull the image with.
   * @default - no pull secret
   */
  readonly imagePullSecret?: string;
  /**
   * Which command line the image has: the `dask` command of current Dask
   * images, or the 2018 ARL image's (see image-contracts.ts).
   * @default "dask"
   */
  readonly cli?: DaskCli;
}

/**
 * The Jupyter notebook server (8888) whose `DASK_SCHEDULER_ADDRESS` points at
 * the scheduler, with its password from a Secret it only references and its
 * notebooks on a claim of their own.
 */
export class DaskNotebook extends Construct {
  readonly microservice: Microservice;
  readonly workspace: k8s.KubePersistentVolumeClaim;

  constructor(scope: Construct, id: string, props: DaskNotebookProps) {
    super(scope, id);
    const n = props.values;
    if (n.passwordSecret.name === "") {
      // parseDaskValues reports this with the key path; this guards direct construction.
      throw new Error("DaskNotebook: values.passwordSecret.name: got nothing; allowed: the name of the Secret holding the notebook password");
    }
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      name: DASK_NAMES.notebook,
      namespace: props.namespace,
      partOf: DASK_PART_OF,
      image: props.image,
      // The 2018 image has the classic notebook, whose root is NotebookApp.notebook_dir.
      args:
        props.cli === "arl-2018"
          ? ["jupyter", "notebook", "--ip=0.0.0.0", `--port=${NOTEBOOK_PORT}`, "--no-browser", `--NotebookApp.notebook_dir=${WORKSPACE_PATH}`]
          : ["jupyter", "lab", "--ip=0.0.0.0", `--port=${NOTEBOOK_PORT}`, "--no-browser", `--ServerApp.root_dir=${WORKSPACE_PATH}`],
      port: NOTEBOOK_PORT,
      servicePort: NOTEBOOK_PORT,
      // Users come through the ingress controller (the TlsIngress admits it).
      callers: [],
      // /api answers without authentication; everything else needs the password.
      readinessPath: "/api",
      livenessPath: "/api",
      startupSeconds: 120,
      // Liveness only checks the notebook port: a busy kernel must not be restarted.
      probes: { liveness: portLiveness(NOTEBOOK_PORT) },
      // Saved notebooks outlive the pod on a ReadWriteOnce claim (below), so
      // the notebook is replaced (old pod gone first), never rolled.
      strategy: kplus.DeploymentStrategy.recreate(),
      imagePullSecret: props.imagePullSecret,
      resources: n.resources,
      env: { HOME: DASK_HOME, DASK_SCHEDULER_ADDRESS: props.schedulerAddress },
      // Jupyter accepts JUPYTER_TOKEN on its login page, so the Secret's value is the password users type.
      envFromSecrets: { JUPYTER_TOKEN: { secretName: n.passwordSecret.name, key: n.passwordSecret.key } },
      // Default non-root UID: HOME is /tmp and notebooks live on /workspace
      // (group-owned through fsGroup), so jovyan's home is not needed.
    });
    const container = this.microservice.deployment.containers[0];
    this.workspace = new k8s.KubePersistentVolumeClaim(this, "Workspace", {
      metadata: { name: "notebook-workspace", namespace: props.namespace, labels: { "app.kubernetes.io/part-of": DASK_PART_OF } },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: props.storageClass,
        resources: { requests: { storage: k8s.Quantity.fromString(n.workspaceSize) } },
      },
    });
    const workspaceClaim = kplus.PersistentVolumeClaim.fromClaimName(this, "WorkspaceRef", this.workspace.name);
    container.mount(WORKSPACE_PATH, kplus.Volume.fromPersistentVolumeClaim(this, "WorkspaceVolume", workspaceClaim, { name: "workspace" }));

    container.mount(DATA_MOUNT_PATH, props.data, { readOnly: true });
    // The only writable view, for loading the data once.
    if (props.dataWritable ?? false) container.mount(DATA_LOAD_PATH, props.data, { readOnly: false });
  }
}
