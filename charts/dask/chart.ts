import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { TlsIngress } from "../../constructs/tls-ingress";
import type { GlobalValues } from "../global-values";
import { ingressIssuer } from "../tls";
import { ArlData } from "./data";
import { isArlImage } from "./image-contracts";
import { DASK_NAMES } from "./names";
import { DaskNotebook } from "./notebook";
import { DaskScheduler } from "./scheduler";
import { DASHBOARD_PORT, DASK_NAMESPACE, DaskValues, NOTEBOOK_PORT } from "./values";
import { DaskWorkers } from "./workers";

/** Props of {@link DaskChart}. Plain data only. */
export interface DaskChartProps {
  /** Settings every chart shares (the `global:` values). */
  readonly global: GlobalValues;
  /** The `dask:` values. */
  readonly dask: DaskValues;
}

/** Name of the claim behind /arl/data. */
const DATA_CLAIM_NAME = "arl-data";

/**
 * The Algorithm Reference Library's Dask cluster: one scheduler (8786, dashboard
 * 8787), workers sized from the values, and a Jupyter notebook server (8888)
 * whose `DASK_SCHEDULER_ADDRESS` points at the scheduler. The test data is
 * mounted read-only at /arl/data in the notebook and the workers. Each
 * component is a construct of its own; the chart wires the scheduler address,
 * the data volume and the ingresses.
 */
export class DaskChart extends Chart {
  readonly scheduler: DaskScheduler;
  readonly workers: DaskWorkers;
  readonly notebook: DaskNotebook;
  readonly data: ArlData;
  readonly dataClaimName = DATA_CLAIM_NAME;

  constructor(scope: Construct, id: string, props: DaskChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { global, dask: v } = props;
    const namespace = DASK_NAMESPACE;
    new AppNamespace(this, "Namespace", { name: namespace });

    // Mounted by claim name: the claim itself (ArlData, below) need not exist first.
    const dataClaim = kplus.PersistentVolumeClaim.fromClaimName(this, "DataClaimRef", DATA_CLAIM_NAME);
    const data = kplus.Volume.fromPersistentVolumeClaim(this, "DataVolume", dataClaim, { name: "arl-data" });
    // An EBS volume is ReadWriteOnce: it attaches to one node, so every pod
    // that mounts it must run there: workers follow the notebook. This caps
    // the cluster at one node's capacity: use NFS to scale out.
    const onEbs = v.data.kind === "ebs";
    const imagePullSecret = v.imagePullSecret;

    // The construct ids are those the components' Microservices had when the
    // chart built them itself: they set the pods' cdk8s.io/metadata.addr label.
    // The command lines follow the image the values select (image-contracts.ts).
    const cli = isArlImage(v.image) ? "arl-2018" : "dask";
    this.scheduler = new DaskScheduler(this, "Scheduler", { namespace, image: v.image, resources: v.scheduler.resources, imagePullSecret, cli });
    this.workers = new DaskWorkers(this, "Workers", {
      namespace,
      image: v.image,
      values: v.workers,
      schedulerAddress: this.scheduler.address,
      data,
      colocateWith: onEbs ? { "app.kubernetes.io/name": DASK_NAMES.notebook } : undefined,
      imagePullSecret,
      cli,
    });
    this.notebook = new DaskNotebook(this, "Notebook", {
      namespace,
      image: v.notebookImage,
      values: v.notebook,
      storageClass: global.storageClass,
      schedulerAddress: this.scheduler.address,
      data,
      dataWritable: onEbs,
      imagePullSecret,
      cli: isArlImage(v.notebookImage) ? "arl-2018" : "dask",
    });
    this.data = new ArlData(this, "Data", { namespace, claimName: DATA_CLAIM_NAME, values: v.data });
    this.addIngresses(global, v);
  }

  /** The dashboard and the notebook behind TLS ingresses that proxy websockets. */
  private addIngresses(global: GlobalValues, v: DaskValues): void {
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
      namespace: DASK_NAMESPACE,
      host: v.ingress.dashboardHost,
      service: this.scheduler.microservice.service!,
      servicePort: DASHBOARD_PORT,
      ingressClassName: global.ingressClass,
      issuer,
      annotations: websocketAnnotations(DASK_NAMES.scheduler),
    });
    new TlsIngress(this, "NotebookIngress", {
      name: "notebook",
      namespace: DASK_NAMESPACE,
      host: v.ingress.notebookHost,
      service: this.notebook.microservice.service!,
      servicePort: NOTEBOOK_PORT,
      ingressClassName: global.ingressClass,
      issuer,
      annotations: { ...websocketAnnotations(DASK_NAMES.notebook), "nginx.org/client-max-body-size": "512m" },
    });
  }
}
