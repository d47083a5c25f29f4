/**
 * Grafana chart. The provisioned dashboards are also checked in as golden files
 * (test/golden/grafana/*.json) so a review shows what changes; UPDATE_GOLDEN=1
 * rewrites them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdk8s";
import { parse } from "yaml";
import { GRAFANA_NAMES, GRAFANA_UID, GrafanaChart } from "../../../charts/grafana/chart";
import { DASHBOARDS_DIR } from "../../../charts/grafana/provisioning";
import { GRAFANA_NAMESPACE } from "../../../charts/grafana/values";
import { parseValues } from "../../../charts/values";
import { assertChartInvariants } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const GOLDEN_DIR = path.join(__dirname, "..", "..", "golden", "grafana");

function synth(raw: unknown = {}): Obj[] {
  return Testing.synth(new GrafanaChart(Testing.app(), "g", { values: parseValues(raw) })) as Obj[];
}
const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const pod = (objs: Obj[]) => one(objs, "Deployment", "grafana").spec.template.spec;

describe("GrafanaChart", () => {
  const objs = synth();

  test("follows the chart invariants", () => {
    assertChartInvariants(objs);
  });

  test("keeps its data on a 2Gi PVC of the EBS class, configurable", () => {
    const pvc = one(objs, "PersistentVolumeClaim", GRAFANA_NAMES.data);
    expect(pvc.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: "ebs-gp3" });
    expect(pvc.spec.resources.requests.storage).toBe("2Gi");
    const other = one(synth({ grafana: { storage: { size: "5Gi", storageClass: "gp3-fast" } } }), "PersistentVolumeClaim", GRAFANA_NAMES.data);
    expect(other.spec.storageClassName).toBe("gp3-fast");
    expect(other.spec.resources.requests.storage).toBe("5Gi");
    expect(pod(objs).volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: GRAFANA_NAMES.data, readOnly: false } });
  });

  test("uses Recreate, since the volume is ReadWriteOnce", () => {
    const d = one(objs, "Deployment", "grafana");
    expect(d.spec.strategy).toEqual({ type: "Recreate" });
    expect(d.spec.replicas).toBe(1);
  });

  test("runs as Grafana's user with fsGroup, restricted container", () => {
    expect(pod(objs).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: GRAFANA_UID, runAsGroup: GRAFANA_UID, fsGroup: GRAFANA_UID });
    const c = pod(objs).containers[0];
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  test("probes /api/health", () => {
    const c = pod(objs).containers[0];
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(probe.httpGet.path).toBe("/api/health");
  });

  test("takes the admin credentials from a Secret reference, never inline", () => {
    const env: Obj[] = pod(objs).containers[0].env;
    const byName = (n: string) => env.find((e) => e.name === n) as Obj;
    expect(byName("GF_SECURITY_ADMIN_USER").valueFrom.secretKeyRef).toMatchObject({ name: "grafana-admin", key: "admin-user" });
    expect(byName("GF_SECURITY_ADMIN_PASSWORD").valueFrom.secretKeyRef).toMatchObject({ name: "grafana-admin", key: "admin-password" });
    expect(byName("GF_SECURITY_ADMIN_PASSWORD").value).toBeUndefined();
    expect(objs.some((o) => o.kind === "Secret")).toBe(false);
  });

  test("provisions a Prometheus and a CloudWatch datasource (default credential chain, region from values)", () => {
    const ds = parse(one(synth({ grafana: { cloudwatch: { region: "eu-west-1" } } }), "ConfigMap", GRAFANA_NAMES.datasources).data["datasources.yaml"]);
    const byType = (t: string) => ds.datasources.find((d: Obj) => d.type === t) as Obj;
    expect(byType("prometheus")).toMatchObject({ url: "http://prometheus.monitoring.svc:9090", isDefault: true, uid: "prometheus" });
    expect(byType("cloudwatch")).toMatchObject({ uid: "cloudwatch", jsonData: { authType: "default", defaultRegion: "eu-west-1" } });
    expect(byType("cloudwatch").secureJsonData).toBeUndefined();
    const off = parse(one(synth({ grafana: { cloudwatch: { enabled: false } } }), "ConfigMap", GRAFANA_NAMES.datasources).data["datasources.yaml"]);
    expect(off.datasources.map((d: Obj) => d.type)).toEqual(["prometheus"]);
  });

  test("dashboard files are present, parseable JSON, mounted where the provider reads them", () => {
    const cm = one(objs, "ConfigMap", GRAFANA_NAMES.dashboards);
    expect(Object.keys(cm.data).sort()).toEqual([
      "cluster-nodes.json",
      "ingress.json",
      "object-detection-sqs.json",
      "object-detection-workloads.json",
    ]);
    const uids = new Set<string>();
    for (const [file, text] of Object.entries(cm.data as Record<string, string>)) {
      const d = JSON.parse(text);
      expect([file, typeof d.title, Array.isArray(d.panels) && d.panels.length > 0]).toEqual([file, "string", true]);
      uids.add(d.uid);
      for (const p of d.panels) expect([file, p.title, p.targets.length > 0]).toEqual([file, p.title, true]);
    }
    expect(uids.size).toBe(4);
    const providers = parse(one(objs, "ConfigMap", GRAFANA_NAMES.dashboardProviders).data["dashboards.yaml"]);
    expect(providers.providers[0].options.path).toBe(DASHBOARDS_DIR);
    expect(pod(objs).containers[0].volumeMounts).toContainEqual({ name: "dashboards", mountPath: DASHBOARDS_DIR, readOnly: true });
  });

  test("the SQS queue picker lists the configured queues, or the region's queues matching a pattern", () => {
    const fixed = JSON.parse(
      one(synth({ grafana: { sqs: { queueNames: ["jobs", "metering"] } } }), "ConfigMap", GRAFANA_NAMES.dashboards).data["object-detection-sqs.json"],
    );
    expect(fixed.templating.list[0]).toMatchObject({ name: "queue", type: "custom", query: "jobs,metering" });
    const byPattern = JSON.parse(
      one(synth({ grafana: { sqs: { queueNamePattern: "^prod-" } } }), "ConfigMap", GRAFANA_NAMES.dashboards).data["object-detection-sqs.json"],
    );
    expect(byPattern.templating.list[0]).toMatchObject({ type: "query", regex: "/^prod-/" });
  });

  test("is exposed through a TLS ingress at the configured host", () => {
    const ing = one(synth({ grafana: { host: "grafana.example.org" } }), "Ingress", "grafana");
    expect(ing.spec.rules[0].host).toBe("grafana.example.org");
    expect(ing.spec.tls[0].hosts).toEqual(["grafana.example.org"]);
    expect(ing.metadata.namespace).toBe(GRAFANA_NAMESPACE);
    const defaultHost = one(objs, "Ingress", "grafana").spec.rules[0].host;
    expect(defaultHost).toBe("grafana.apps.example.com");
  });

  test("the dashboards match the golden files", () => {
    const cm = one(objs, "ConfigMap", GRAFANA_NAMES.dashboards);
    for (const [file, text] of Object.entries(cm.data as Record<string, string>)) {
      const golden = path.join(GOLDEN_DIR, file);
      if (process.env.UPDATE_GOLDEN === "1") {
        fs.mkdirSync(GOLDEN_DIR, { recursive: true });
        fs.writeFileSync(golden, text);
      }
      if (!fs.existsSync(golden)) throw new Error(`golden file ${golden} is missing; run with UPDATE_GOLDEN=1 to create it`);
      expect([file, text]).toEqual([file, fs.readFileSync(golden, "utf8")]);
    }
  });
});
