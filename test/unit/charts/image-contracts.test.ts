/**
 * Every workload of every chart (the hosted applications, object-detection and
 * the observability charts) against its image's contract, for the default
 * values and every values/*.yaml; a break-it case per kind of contradiction;
 * and the workloads that could never have become Ready before, each checked
 * where it failed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { daskImageContract, ARL_CONTRACT } from "../../../charts/dask/image-contracts";
import { DLSTREAMER_IMAGE_CONTRACTS } from "../../../charts/dlstreamer/image-contracts";
import { renderHaproxyConfig } from "../../../charts/dlstreamer/haproxy-config";
import { GOSTY_IMAGE_CONTRACTS, GOSTY_WORKER_CONTRACT } from "../../../charts/gosty/image-contracts";
import { FLUENTD_IMAGE_CONTRACTS } from "../../../charts/fluentd/image-contracts";
import { GOURMETGRAM_IMAGE_CONTRACTS } from "../../../charts/gourmetgram/image-contracts";
import { GRAFANA_IMAGE_CONTRACTS } from "../../../charts/grafana/image-contracts";
import { contractProblems, ImageContract, ManifestContainer, ManifestPodSpec } from "../../../charts/image-contract";
import { OBJECT_DETECTION_IMAGE_CONTRACTS } from "../../../charts/object-detection/image-contracts";
import { PROMETHEUS_IMAGE_CONTRACTS } from "../../../charts/prometheus/image-contracts";
import { synthCharts } from "../../../charts/synth";
import { defaultValues, parseValues } from "../../../charts/values";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const VALUES_DIR = path.join(__dirname, "../../../values");
const valuesFiles = fs.readdirSync(VALUES_DIR).filter((f) => f.endsWith(".yaml")).sort();
/** Each chart's contracts by container name (Dask's by image, which the values choose). */
const CONTRACTS: Readonly<Record<string, Readonly<Record<string, ImageContract>>>> = {
  gosty: GOSTY_IMAGE_CONTRACTS,
  dlstreamer: DLSTREAMER_IMAGE_CONTRACTS,
  gourmetgram: GOURMETGRAM_IMAGE_CONTRACTS,
  "object-detection": OBJECT_DETECTION_IMAGE_CONTRACTS,
  prometheus: PROMETHEUS_IMAGE_CONTRACTS,
  grafana: GRAFANA_IMAGE_CONTRACTS,
  fluentd: FLUENTD_IMAGE_CONTRACTS,
};
/** Every chart that runs a workload; cluster-issuers declares issuers only. */
const WITH_WORKLOADS = ["dask", ...Object.keys(CONTRACTS)];

function contractFor(chart: string, container: string, image: string): ImageContract | undefined {
  if (chart === "dask") return daskImageContract(container, image);
  return CONTRACTS[chart]?.[container];
}

/** Every chart the values select, with its objects. */
function chartManifests(file?: string): Array<{ chart: string; objects: Obj[] }> {
  const values = file
    ? parseValues(parseYaml(fs.readFileSync(path.join(VALUES_DIR, file), "utf8")), file)
    : defaultValues();
  return synthCharts(values).map((c) => ({ chart: c.id, objects: c.manifests as Obj[] }));
}

function podSpecs(objects: Obj[]): Array<{ workload: string; pod: ManifestPodSpec }> {
  const out: Array<{ workload: string; pod: ManifestPodSpec }> = [];
  for (const o of objects) {
    const spec =
      o.kind === "CronJob" ? o.spec.jobTemplate.spec.template.spec : ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind) ? o.spec.template.spec : undefined;
    if (spec) out.push({ workload: `${o.kind}/${o.metadata.name}`, pod: spec });
  }
  return out;
}

function problemsOf(chart: string, pod: ManifestPodSpec): string[] {
  const problems: string[] = [];
  const check = (c: ManifestContainer, role: "main" | "init") => {
    const contract = contractFor(chart, c.name, c.image);
    if (contract === undefined) problems.push(`${chart} container ${c.name} (${c.image}): no image contract`);
    else problems.push(...contractProblems(contract, pod, c, role));
  };
  for (const c of pod.containers) check(c, "main");
  for (const c of pod.initContainers ?? []) check(c, "init");
  return problems;
}

describe.each([undefined, ...valuesFiles])("values %s", (file) => {
  const charts = chartManifests(file);

  test("every container of every chart keeps to its image's contract", () => {
    let containers = 0;
    const problems: string[] = [];
    for (const { chart, objects } of charts) {
      for (const { workload, pod } of podSpecs(objects)) {
        containers += pod.containers.length + (pod.initContainers?.length ?? 0);
        problems.push(...problemsOf(chart, pod).map((p) => `${chart} ${workload}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
    expect(containers).toBeGreaterThan(0);
  });
});

test("the default values and the values files cover every chart that runs a workload", () => {
  const withPods = new Set([undefined, ...valuesFiles].flatMap((f) => chartManifests(f).filter((c) => podSpecs(c.objects).length > 0).map((c) => c.chart)));
  expect([...withPods].sort()).toEqual([...WITH_WORKLOADS].sort());
});

describe("a manifest that contradicts its image fails the check (one case per kind)", () => {
  const gosty = chartManifests().find((c) => c.chart === "gosty")!.objects;
  const workerPod = (): ManifestPodSpec => structuredClone(podSpecs(gosty).find((w) => w.workload === "Deployment/gosty-worker")!.pod);
  const check = (pod: ManifestPodSpec) => contractProblems(GOSTY_WORKER_CONTRACT, pod, pod.containers[0]);

  test("the unchanged worker passes", () => expect(check(workerPod())).toEqual([]));

  test("a probe on a port the image does not listen on", () => {
    const pod = workerPod() as Obj;
    pod.containers[0].livenessProbe.httpGet.port = 8086;
    expect(check(pod as ManifestPodSpec).join("\n")).toMatch(/liveness probe GET \/live on port 8086: the image serves no health endpoint there/);
    pod.containers[0].ports[0].containerPort = 8086;
    expect(check(pod as ManifestPodSpec).join("\n")).toMatch(/containerPort 8086: the image does not listen on it/);
  });

  test("a write path with no volume under the read-only root", () => {
    const pod = workerPod() as Obj;
    pod.containers[0].volumeMounts = pod.containers[0].volumeMounts.filter((m: Obj) => m.mountPath !== "/app/tmpworker");
    expect(check(pod as ManifestPodSpec).join("\n")).toMatch(/writes \/app\/tmpworker .* no writable volume/);
  });

  test("a command or a flag the record does not list", () => {
    const pod = workerPod() as Obj;
    pod.containers[0].args = ["./worker", "--verbose"];
    expect(check(pod as ManifestPodSpec).join("\n")).toMatch(/\.\/worker does not understand --verbose/);
    pod.containers[0].args = ["dask", "worker"];
    expect(check(pod as ManifestPodSpec).join("\n")).toMatch(/a command the image does not have/);
  });

  test("a runAsNonRoot image with a non-numeric user and no runAsUser", () => {
    const pod = workerPod() as Obj;
    delete pod.securityContext.runAsUser;
    delete pod.containers[0].securityContext.runAsUser;
    expect(check(pod as ManifestPodSpec).join("\n")).toMatch(/runAsNonRoot with the image's non-numeric user "root" and no runAsUser/);
  });

  test("a required environment variable left out, and a missing service account token", () => {
    const pod = workerPod() as Obj;
    pod.containers[0].env = pod.containers[0].env.filter((e: Obj) => e.name !== "POD_IP");
    expect(check(pod as ManifestPodSpec).join("\n")).toMatch(/environment variable POD_IP .* is not set/);
    const api = structuredClone(podSpecs(gosty).find((w) => w.workload === "Deployment/gosty-apiserver")!.pod) as Obj;
    api.automountServiceAccountToken = false;
    expect(contractProblems(GOSTY_IMAGE_CONTRACTS["gosty-apiserver"], api as ManifestPodSpec, api.containers[0]).join("\n")).toMatch(/service account token is not mounted/);
  });
});

describe("the workloads that could not become Ready before", () => {
  const gosty = chartManifests().find((c) => c.chart === "gosty")!.objects;
  const deployment = (name: string) => gosty.find((o) => o.kind === "Deployment" && o.metadata.name === name)!.spec.template.spec;

  test("Gosty worker: probes on its health port 8087, POD_IP set, a volume for its work directory", () => {
    const w = deployment("gosty-worker");
    const c = w.containers[0];
    expect(c.readinessProbe.httpGet.port).toBe(GOSTY_WORKER_CONTRACT.health[0].port);
    expect(c.env).toContainEqual({ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } });
    expect(c.volumeMounts.map((m: Obj) => m.mountPath)).toContain("/app/tmpworker");
  });

  test("Gosty file server: runs the file server alone (no sshd) and probes its own port", () => {
    const c = deployment("gosty-fileserver").containers[0];
    expect(c.args).toEqual(["./fileserver"]);
    expect(c.readinessProbe.httpGet).toMatchObject({ port: 8001, path: "/" });
  });

  test("Gosty API server: the headless Service its readiness resolves, its token, a volume for uploads", () => {
    expect(gosty.find((o) => o.kind === "Service" && o.metadata.name === "gosty-fileserver-headless")?.spec).toMatchObject({ clusterIP: "None" });
    const a = deployment("gosty-apiserver");
    expect(a.automountServiceAccountToken).toBe(true);
    expect(a.containers[0].volumeMounts.map((m: Obj) => m.mountPath)).toContain("/app/tmp");
  });

  test("Gosty production values with Linkerd: the Kibana password Job opts out of proxy injection", () => {
    const prod = chartManifests("gosty-production.yaml").find((c) => c.chart === "gosty")!.objects;
    const job = prod.find((o) => o.kind === "Job" && o.metadata.name === "kibana-system-password")!;
    expect(job.spec.template.metadata.annotations).toEqual({ "linkerd.io/inject": "disabled" });
  });

  test("Dask with the ARL image: the 2018 commands and flags, port probes, the classic notebook", () => {
    const dask = chartManifests("arl.yaml").find((c) => c.chart === "dask")!.objects;
    const args = (name: string) => dask.find((o) => o.kind === "Deployment" && o.metadata.name === name)!.spec.template.spec.containers[0];
    expect(args("dask-scheduler").args[0]).toBe("dask-scheduler");
    expect(args("dask-worker").args[0]).toBe("dask-worker");
    expect(args("dask-worker").args).toContain("--nprocs");
    expect(args("dask-scheduler").readinessProbe.tcpSocket).toBeDefined();
    expect(args("notebook").args.slice(0, 2)).toEqual(["jupyter", "notebook"]);
    // The command lines the chart ran before, against the same record.
    const before = { name: "dask-scheduler", image: "arl_img:1b47647d", args: ["dask", "scheduler", "--port", "8786", "--dashboard-address", ":8787"] };
    expect(contractProblems(ARL_CONTRACT, { containers: [before] }, before).join("\n")).toMatch(/a command the image does not have/);
  });

  test("DL Streamer HAProxy: sticky cookies have values for discovered servers (dynamic cookies)", () => {
    const cfg = renderHaproxyConfig({ serviceFqdn: "pipeline-server.dlstreamer.svc.cluster.local" });
    expect(cfg).toMatch(/^\s+cookie PIPELINE_SERVER insert indirect nocache httponly dynamic$/m);
    expect(cfg).toMatch(/^\s+dynamic-cookie-key \S+$/m);
  });

  test("GourmetGram: uploads go to a scratch volume seeded with the image's sample photo", () => {
    const gg = chartManifests().find((c) => c.chart === "gourmetgram")!.objects;
    const spec = gg.find((o) => o.kind === "Deployment")!.spec.template.spec;
    expect(spec.containers[0].volumeMounts.map((m: Obj) => m.mountPath)).toContain("/app/instance/uploads");
    expect(spec.initContainers[0]).toMatchObject({ name: "seed-uploads", command: ["cp", "-R", "/app/instance/uploads/.", "/seed/"] });
  });
});
