/**
 * The components of the dask chart on their own, with props the values never
 * set, and the construct addresses the chart keeps.
 */
import { Testing } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { DaskChart } from "../../../charts/dask/chart";
import { ArlData } from "../../../charts/dask/data";
import { DaskNotebook } from "../../../charts/dask/notebook";
import { DaskScheduler } from "../../../charts/dask/scheduler";
import { DaskWorkers } from "../../../charts/dask/workers";
import { parseValues } from "../../../charts/values";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const values = parseValues({ dask: { enabled: true, notebook: { passwordSecret: { name: "nb" } } } }).dask;

const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

function dataVolume(chart: ReturnType<typeof Testing.chart>): kplus.Volume {
  return kplus.Volume.fromPersistentVolumeClaim(chart, "Data", kplus.PersistentVolumeClaim.fromClaimName(chart, "Claim", "shared-data"), {
    name: "shared-data",
  });
}

describe("DaskScheduler", () => {
  test("publishes its address in the namespace it is given", () => {
    const chart = Testing.chart();
    const scheduler = new DaskScheduler(chart, "Scheduler", { namespace: "science", image: values.image, resources: values.scheduler.resources });
    expect(scheduler.address).toBe("tcp://dask-scheduler.science.svc:8786");
    const d = one(Testing.synth(chart) as Obj[], "Deployment", "dask-scheduler");
    expect(d.metadata.namespace).toBe("science");
    expect(d.spec.template.spec.imagePullSecrets).toBeUndefined();
  });
});

describe("DaskWorkers", () => {
  const make = (colocateWith?: Record<string, string>) => {
    const chart = Testing.chart();
    new DaskWorkers(chart, "Workers", {
      namespace: "science",
      image: values.image,
      values: values.workers,
      schedulerAddress: "tcp://elsewhere:8786",
      data: dataVolume(chart),
      colocateWith,
      imagePullSecret: "pull",
    });
    return one(Testing.synth(chart) as Obj[], "Deployment", "dask-worker").spec.template.spec;
  };

  test("connect to the scheduler address they are given and mount the data read-only", () => {
    const pod = make();
    expect(pod.containers[0].args.slice(0, 3)).toEqual(["dask", "worker", "tcp://elsewhere:8786"]);
    expect(pod.containers[0].volumeMounts).toContainEqual({ mountPath: "/arl/data", name: "shared-data", readOnly: true });
    expect(pod.imagePullSecrets).toEqual([{ name: "pull" }]);
    expect(pod.affinity).toBeUndefined();
  });

  test("run on the node of the pods they are co-located with", () => {
    expect(make({ "app.kubernetes.io/name": "loader" }).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "app.kubernetes.io/name": "loader" } } },
    ]);
  });
});

describe("DaskNotebook", () => {
  const props = (chart: ReturnType<typeof Testing.chart>) => ({
    namespace: "science",
    image: values.notebookImage,
    values: values.notebook,
    storageClass: "standard",
    schedulerAddress: "tcp://elsewhere:8786",
    data: dataVolume(chart),
  });

  test("mounts the data writable only when asked", () => {
    const mounts = (dataWritable?: boolean) => {
      const chart = Testing.chart();
      new DaskNotebook(chart, "Notebook", { ...props(chart), dataWritable });
      const c = one(Testing.synth(chart) as Obj[], "Deployment", "notebook").spec.template.spec.containers[0];
      return (c.volumeMounts as Obj[]).map((m) => m.mountPath);
    };
    expect(mounts()).not.toContain("/arl/data-load");
    expect(mounts(true)).toContain("/arl/data-load");
  });

  test("rejects a password Secret without a name", () => {
    const chart = Testing.chart();
    const noName = { ...values.notebook, passwordSecret: { name: "", key: "password" } };
    expect(() => new DaskNotebook(chart, "Notebook", { ...props(chart), values: noName })).toThrow(
      /DaskNotebook: values\.passwordSecret\.name: got nothing/,
    );
  });
});

describe("ArlData", () => {
  test("names the claim as told, on NFS and on EBS", () => {
    const nfs = parseValues({ dask: { data: { nfs: { server: "10.0.0.5", path: "/arl" } } } }).dask.data;
    const chart = Testing.chart();
    const data = new ArlData(chart, "Data", { namespace: "science", claimName: "shared-data", values: nfs });
    expect(data.nfsVolume?.name).toBe("science-arl-data");
    expect(one(Testing.synth(chart) as Obj[], "PersistentVolume", "science-arl-data").spec.claimRef).toEqual({
      namespace: "science",
      name: "shared-data",
    });
    const ebsChart = Testing.chart();
    const ebs = new ArlData(ebsChart, "Data", { namespace: "science", claimName: "shared-data", values: values.data });
    expect(ebs.nfsVolume).toBeUndefined();
    expect(one(Testing.synth(ebsChart) as Obj[], "PersistentVolumeClaim", "shared-data").spec.accessModes).toEqual(["ReadWriteOnce"]);
  });
});

describe("DaskChart", () => {
  test("keeps the pods' construct-address labels of the chart before it was split into components", () => {
    // A changed label would roll every pod on the next deploy for nothing.
    const v = parseValues({ dask: { enabled: true, notebook: { passwordSecret: { name: "nb" } } } });
    const objs = Testing.synth(new DaskChart(Testing.app(), "dask", { global: v.global, dask: v.dask })) as Obj[];
    const addr = (name: string) => one(objs, "Deployment", name).spec.template.metadata.labels["cdk8s.io/metadata.addr"];
    expect(addr("dask-scheduler")).toBe("dask-Scheduler-Deployment-c8975904");
    expect(addr("dask-worker")).toBe("dask-Workers-Deployment-c8196f1a");
    expect(addr("notebook")).toBe("dask-Notebook-Deployment-c839d962");
  });
});
