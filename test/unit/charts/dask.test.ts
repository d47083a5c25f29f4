import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdk8s";
import { parse } from "yaml";
import { DaskChart } from "../../../charts/dask/chart";
import { DATA_LOAD_PATH } from "../../../charts/dask/names";
import {
  DASK_NAMESPACE,
  daskRequiredSecrets,
  DATA_MOUNT_PATH,
  DEFAULT_DASK_IMAGE,
  DEFAULT_NOTEBOOK_IMAGE,
  workerFlags,
} from "../../../charts/dask/values";
import { SELF_SIGNED_CLUSTER_ISSUER } from "../../../charts/tls";
import { parseValues } from "../../../charts/values";
import { ConfigError } from "../../../lib/validate";
import { assertChartInvariants } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ENABLED = { enabled: true, notebook: { passwordSecret: { name: "arl-notebook" } } };
const NFS = { nfs: { server: "nfs.internal.example.com", path: "/exports/arl" } };

function synth(dask: Obj = {}, global: unknown = {}): Obj[] {
  const values = parseValues({ global, dask: { ...ENABLED, ...dask, notebook: { ...ENABLED.notebook, ...dask.notebook } } });
  return Testing.synth(new DaskChart(Testing.app(), "dask", { global: values.global, dask: values.dask })) as Obj[];
}

const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const deployment = (objs: Obj[], name: string) => one(objs, "Deployment", name);
const container = (objs: Obj[], name: string) => deployment(objs, name).spec.template.spec.containers[0];
const env = (c: Obj, name: string) => (c.env as Obj[]).find((e) => e.name === name);
const mounts = (c: Obj) => Object.fromEntries((c.volumeMounts as Obj[]).map((m) => [m.mountPath, m]));
const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

function parseError(dask: unknown): string {
  try {
    parseValues({ dask });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected the values to be rejected");
}

describe("DaskChart", () => {
  const objs = synth();

  test("follows the chart invariants, with NFS and with EBS data", () => {
    assertChartInvariants(objs);
    assertChartInvariants(synth({ data: NFS, workers: { replicas: 4 } }));
  });

  test("liveness differs from readiness: a busy scheduler, worker or kernel is not restarted", () => {
    const expected: [string, number][] = [
      ["dask-scheduler", 8786],
      ["dask-worker", 8789],
      ["notebook", 8888],
    ];
    for (const [name, port] of expected) {
      const c = container(objs, name);
      expect(c.readinessProbe.httpGet).toBeDefined();
      expect(c.livenessProbe).toMatchObject({ tcpSocket: { port } });
      expect(c.livenessProbe.httpGet).toBeUndefined();
    }
  });

  test("lives in its own restricted namespace", () => {
    expect(one(objs, "Namespace", DASK_NAMESPACE).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const clusterScoped = ["Namespace", "PersistentVolume"];
    for (const o of objs.filter((x) => !clusterScoped.includes(x.kind))) expect(o.metadata.namespace).toBe(DASK_NAMESPACE);
  });

  test("one scheduler serving 8786 and its dashboard on 8787", () => {
    const d = deployment(objs, "dask-scheduler");
    expect(d.spec.replicas).toBe(1);
    const c = d.spec.template.spec.containers[0];
    expect(c.args.slice(0, 2)).toEqual(["dask", "scheduler"]);
    expect(arg(c.args, "--port")).toBe("8786");
    expect(arg(c.args, "--dashboard-address")).toBe(":8787");
    expect(c.ports.map((p: Obj) => p.containerPort).sort()).toEqual([8786, 8787]);
    const svc = one(objs, "Service", "dask-scheduler");
    expect(svc.spec.ports.map((p: Obj) => [p.port, p.targetPort]).sort()).toEqual([
      [8786, 8786],
      [8787, 8787],
    ]);
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/health", port: 8787 });
  });

  test("workers default to 1 replica of 500m / 512Mi, with request = limit", () => {
    const d = deployment(objs, "dask-worker");
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: "500m", memory: "512Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    });
    const scaled = deployment(synth({ workers: { replicas: 6, cpu: "2", memory: "4Gi" } }), "dask-worker");
    expect(scaled.spec.replicas).toBe(6);
    expect(scaled.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: "2000m", memory: "4096Mi" });
  });

  test("worker --nthreads and --memory-limit follow the container's resources", () => {
    const args = container(objs, "dask-worker").args as string[];
    expect(args.slice(0, 3)).toEqual(["dask", "worker", "tcp://dask-scheduler.dask.svc:8786"]);
    expect(arg(args, "--nthreads")).toBe("1");
    expect(arg(args, "--memory-limit")).toBe(String(512 * 1024 * 1024));
    const big = container(synth({ workers: { cpu: "2500m", memory: "3Gi" } }), "dask-worker").args as string[];
    expect(arg(big, "--nthreads")).toBe("2");
    expect(arg(big, "--memory-limit")).toBe(String(3 * 1024 ** 3));
    expect(workerFlags({ replicas: 1, cpu: "4", memory: "1Gi" })).toEqual({ nthreads: 4, memoryLimitBytes: 1024 ** 3 });
    expect(workerFlags({ replicas: 1, cpu: "100m", memory: "256Mi" }).nthreads).toBe(1);
  });

  test("the notebook serves 8888 and points DASK_SCHEDULER_ADDRESS at the scheduler Service", () => {
    const c = container(objs, "notebook");
    expect(c.image).toBe(DEFAULT_NOTEBOOK_IMAGE);
    expect(c.ports).toEqual([{ containerPort: 8888, name: "http" }]);
    expect(env(c, "DASK_SCHEDULER_ADDRESS")?.value).toBe("tcp://dask-scheduler.dask.svc:8786");
    expect(one(objs, "Service", "notebook").spec.ports[0]).toMatchObject({ port: 8888, targetPort: 8888 });
  });

  test("the notebook password comes from the named Secret, never a literal", () => {
    const c = container(objs, "notebook");
    expect(env(c, "JUPYTER_TOKEN")).toEqual({ name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name: "arl-notebook", key: "password" } } });
    const custom = container(synth({ notebook: { passwordSecret: { name: "nb", key: "pw" } } }), "notebook");
    expect(env(custom, "JUPYTER_TOKEN")?.valueFrom.secretKeyRef).toEqual({ name: "nb", key: "pw" });
    expect(JSON.stringify(objs)).not.toMatch(/changeme/);
    expect(objs.filter((o) => o.kind === "Secret")).toEqual([]);
  });

  test("a missing notebook password Secret name fails with the key named", () => {
    const message = parseError({ enabled: true });
    expect(message).toContain("dask.notebook.passwordSecret.name");
    expect(message).toContain("Secret");
    // Disabled (the default), nothing is required.
    expect(parseValues({}).dask.enabled).toBe(false);
    const disabled = parseValues({});
    expect(() => new DaskChart(Testing.app(), "d", { global: disabled.global, dask: disabled.dask })).toThrow(/passwordSecret\.name/);
  });

  test("images, tag and pull secret are configurable", () => {
    expect(container(objs, "dask-scheduler").image).toBe(DEFAULT_DASK_IMAGE);
    const custom = synth({
      image: "registry.gitlab.com/arl/arl_img:1b47647d",
      notebookImage: "registry.gitlab.com/arl/arl_img:1b47647d",
      imagePullSecret: "gitlab-registry",
    });
    for (const name of ["dask-scheduler", "dask-worker", "notebook"]) {
      const d = deployment(custom, name);
      expect(d.spec.template.spec.containers[0].image).toBe("registry.gitlab.com/arl/arl_img:1b47647d");
      expect(d.spec.template.spec.imagePullSecrets).toEqual([{ name: "gitlab-registry" }]);
    }
    expect(deployment(objs, "notebook").spec.template.spec.imagePullSecrets).toBeUndefined();
    expect(parseError({ image: "arl_img:latest" })).toContain("dask.image");
  });

  test("NFS: a static ReadOnlyMany PersistentVolume bound to the claim, mounted read-only at /arl/data", () => {
    const nfs = synth({ data: { ...NFS, size: "50Gi" } });
    const pv = one(nfs, "PersistentVolume", "dask-arl-data");
    expect(pv.spec.nfs).toEqual({ server: "nfs.internal.example.com", path: "/exports/arl", readOnly: true });
    expect(pv.spec.accessModes).toEqual(["ReadOnlyMany"]);
    expect(pv.spec.storageClassName).toBe("");
    expect(pv.spec.capacity.storage).toBe("50Gi");
    expect(pv.spec.claimRef).toMatchObject({ namespace: DASK_NAMESPACE, name: "arl-data" });
    const pvc = one(nfs, "PersistentVolumeClaim", "arl-data");
    expect(pvc.spec).toMatchObject({ accessModes: ["ReadOnlyMany"], storageClassName: "", volumeName: "dask-arl-data" });
    for (const name of ["dask-worker", "notebook"]) {
      const c = container(nfs, name);
      expect(mounts(c)[DATA_MOUNT_PATH]).toMatchObject({ readOnly: true });
      expect(mounts(c)[DATA_LOAD_PATH]).toBeUndefined();
      const volume = (deployment(nfs, name).spec.template.spec.volumes as Obj[]).find((v) => v.name === mounts(c)[DATA_MOUNT_PATH].name);
      expect(volume?.persistentVolumeClaim.claimName).toBe("arl-data");
      expect(deployment(nfs, name).spec.template.spec.affinity).toBeUndefined();
    }
    expect(container(nfs, "dask-scheduler").volumeMounts.map((m: Obj) => m.mountPath)).not.toContain(DATA_MOUNT_PATH);
  });

  test("no NFS server: an EBS claim of the global class, workers co-located with the notebook", () => {
    expect(objs.filter((o) => o.kind === "PersistentVolume")).toEqual([]);
    const pvc = one(objs, "PersistentVolumeClaim", "arl-data");
    expect(pvc.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: "ebs-gp3", resources: { requests: { storage: "10Gi" } } });
    expect(one(synth({}, { storageClass: "standard" }), "PersistentVolumeClaim", "arl-data").spec.storageClassName).toBe("standard");
    expect(one(synth({ data: { storageClass: "gp3-fast" } }), "PersistentVolumeClaim", "arl-data").spec.storageClassName).toBe("gp3-fast");
    // ReadWriteOnce attaches to one node: workers must run where the notebook runs.
    const affinity = deployment(objs, "dask-worker").spec.template.spec.affinity;
    expect(affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "app.kubernetes.io/name": "notebook" } } },
    ]);
    expect(deployment(objs, "notebook").spec.strategy).toEqual({ type: "Recreate" });
    expect(mounts(container(objs, "dask-worker"))[DATA_MOUNT_PATH]).toMatchObject({ readOnly: true });
    const nb = mounts(container(objs, "notebook"));
    expect(nb[DATA_MOUNT_PATH]).toMatchObject({ readOnly: true });
    // The only writable view, for loading the data once.
    expect(nb[DATA_LOAD_PATH].readOnly).toBeFalsy();
  });

  test("bad data values are rejected with their keys", () => {
    expect(parseError({ data: { nfs: { server: "nfs bad" } } })).toContain("dask.data.nfs.server");
    expect(parseError({ data: { nfs: { path: "/exports" } } })).toContain("dask.data.nfs.server");
    expect(parseError({ data: { nfs: { server: "10.0.0.5", path: "exports" } } })).toContain("dask.data.nfs.path");
    expect(parseError({ data: { ...NFS, storageClass: "gp3" } })).toContain("dask.data.storageClass");
    expect(parseError({ data: { size: "lots" } })).toContain("dask.data.size");
    expect(parseError({ workers: { cpu: "fast" } })).toContain("dask.workers.cpu");
    expect(parseError({ workers: { memory: "1GB" } })).toContain("dask.workers.memory");
    expect(parseError({ workers: { replicas: 0 } })).toContain("dask.workers.replicas");
    expect(parseError({ notebook: { password: "changeme" } })).toContain("dask.notebook.password");
  });

  test("the notebook saves to its own claim of the global class and is replaced, not rolled", () => {
    const pvc = one(objs, "PersistentVolumeClaim", "notebook-workspace");
    expect(pvc.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: "ebs-gp3", resources: { requests: { storage: "5Gi" } } });
    const c = container(objs, "notebook");
    expect(c.args).toContain("--ServerApp.root_dir=/workspace");
    const volume = (deployment(objs, "notebook").spec.template.spec.volumes as Obj[]).find((v) => v.name === mounts(c)["/workspace"].name);
    expect(volume?.persistentVolumeClaim.claimName).toBe("notebook-workspace");
    const nfs = synth({ data: NFS, notebook: { workspaceSize: "20Gi" } }, { storageClass: "standard" });
    expect(deployment(nfs, "notebook").spec.strategy).toEqual({ type: "Recreate" });
    expect(one(nfs, "PersistentVolumeClaim", "notebook-workspace").spec).toMatchObject({
      storageClassName: "standard",
      resources: { requests: { storage: "20Gi" } },
    });
  });

  test("dashboard and notebook are exposed through TLS ingresses with websockets", () => {
    const dash = one(objs, "Ingress", "dask-dashboard");
    expect(dash.spec.rules[0].host).toBe("dask.apps.example.com");
    expect(dash.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "dask-scheduler", port: { number: 8787 } });
    expect(dash.metadata.annotations["nginx.org/websocket-services"]).toBe("dask-scheduler");
    const nb = one(objs, "Ingress", "notebook");
    expect(nb.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "notebook", port: { number: 8888 } });
    expect(nb.spec.tls[0].hosts).toEqual(["notebook.apps.example.com"]);
    expect(one(objs, "Certificate", "notebook").spec.issuerRef.name).toBe(SELF_SIGNED_CLUSTER_ISSUER);
    const hosts = synth({ ingress: { dashboardHost: "dash.arl.org", notebookHost: "nb.arl.org" } }, { ingressClass: "traefik" });
    expect(one(hosts, "Ingress", "dask-dashboard").spec.rules[0].host).toBe("dash.arl.org");
    expect(one(hosts, "Ingress", "notebook").spec.ingressClassName).toBe("traefik");
  });

  test("lists the Secret Pulumi must generate", () => {
    const values = parseValues({ dask: ENABLED }).dask;
    expect(daskRequiredSecrets(values)).toEqual([
      { namespace: DASK_NAMESPACE, name: "arl-notebook", keys: { password: expect.objectContaining({ generate: { kind: "random", length: 32 } }) } },
    ]);
    expect(daskRequiredSecrets(parseValues({}).dask)).toEqual([]);
  });
});

describe("values/arl.yaml", () => {
  test("runs the ARL image on NFS data with the named password Secret", () => {
    const raw = parse(fs.readFileSync(path.join(__dirname, "../../../values/arl.yaml"), "utf8"));
    const values = parseValues(raw, "arl.yaml");
    const objs = Testing.synth(new DaskChart(Testing.app(), "dask", { global: values.global, dask: values.dask })) as Obj[];
    assertChartInvariants(objs);
    expect(container(objs, "dask-worker").image).toBe("registry.gitlab.com/piersharding/arl-devops/arl_img:1b47647d");
    expect(arg(container(objs, "dask-worker").args, "--nthreads")).toBe("1");
    expect(deployment(objs, "dask-worker").spec.replicas).toBe(4);
    expect(one(objs, "PersistentVolume", "dask-arl-data").spec.nfs.server).toBe("10.0.12.34");
    expect(env(container(objs, "notebook"), "JUPYTER_TOKEN")?.valueFrom.secretKeyRef.name).toBe("arl-notebook-password");
  });
});
