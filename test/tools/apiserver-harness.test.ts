/**
 * The API server harness can fail: objects the real server rejects and broken links
 * between objects are reported with the object's kind, namespace, name and the
 * server's message. Without this, a green manifests test could mean a harness that
 * checks nothing.
 */
import { TestApiServer } from "./apiserver";
import { applyAll, inApplyOrder } from "./apply";
import {
  autoscalersWithoutTarget,
  claimsWithUnknownStorageClass,
  disruptionBudgetsWithoutPods,
  ingressesWithoutBackend,
  servicesWithoutPods,
} from "./cluster-checks";
import { certManagerCrds } from "./crds";
import { KubeObject } from "./kube-client";

jest.setTimeout(300_000);

const ns = "harness";
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: ns, ...extra });
const podSpec = { containers: [{ name: "app", image: "registry.example/app:1.0.0" }] };

const deployment = (name: string, labels: Record<string, string>, extraSpec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: meta(name),
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec }, ...extraSpec },
});

describe("API server harness", () => {
  let server: TestApiServer;
  beforeAll(async () => {
    server = await TestApiServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("orders CRDs and namespaces before the objects that need them", () => {
    const order = inApplyOrder([
      { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: meta("c") },
      deployment("d", { app: "d" }),
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "x" } },
    ]).map((o) => o.kind);
    expect(order).toEqual(["CustomResourceDefinition", "Namespace", "Deployment", "Certificate"]);
  });

  test("accepts valid objects and reports each rejected one with the server's message", async () => {
    const objects: KubeObject[] = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      deployment("good", { app: "good" }),
      // A misspelt field: a plain create would drop it silently; strict validation rejects it.
      deployment("typo", { app: "typo" }, { replicaz: 2 }),
      // Invalid value: a Service port out of range.
      { apiVersion: "v1", kind: "Service", metadata: meta("bad-port"), spec: { selector: { app: "good" }, ports: [{ port: 70000 }] } },
      // A kind served by no CRD.
      { apiVersion: "example.com/v1", kind: "Widget", metadata: meta("w") },
      // Stored, but its pods would never be admitted (the namespace enforces "restricted").
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "locked", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
      { ...deployment("root", { app: "root" }), metadata: { name: "root", namespace: "locked" } },
      // Only warned about, not enforced: its pods are admitted, so this is no failure.
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "warned", labels: { "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/warn": "restricted" } },
      },
      { ...deployment("host", { app: "host" }, {}), metadata: { name: "host", namespace: "warned" } },
    ];
    const failures = await applyAll(
      server.client,
      objects.map((object) => ({ object, source: "test" })),
    );
    const byObject = new Map(failures.map((f) => [f.object, f]));
    expect([...byObject.keys()].sort()).toEqual(
      [
        "Deployment harness/typo (apps/v1)",
        "Service harness/bad-port (v1)",
        "Widget harness/w (example.com/v1)",
        "Deployment locked/root (apps/v1)",
      ].sort(),
    );
    expect(byObject.get("Deployment locked/root (apps/v1)")).toEqual(
      expect.objectContaining({
        phase: "pod admission (dry-run of its pod template)",
        message: expect.stringMatching(/violates PodSecurity "restricted:latest"/),
      }),
    );
    expect(byObject.get("Deployment harness/typo (apps/v1)")?.message).toMatch(/unknown field "spec.replicaz"/);
    expect(byObject.get("Service harness/bad-port (v1)")?.message).toMatch(/spec.ports\[0\].port/);
    expect(byObject.get("Widget harness/w (example.com/v1)")?.message).toMatch(/serves no Widget/);
    expect(await server.client.get("apps/v1", "Deployment", "good", ns)).toBeDefined();
    expect(await server.client.get("apps/v1", "Deployment", "typo", ns)).toBeUndefined();
  });

  test("installs CRDs and then accepts (or rejects) their custom resources by the real schema", async () => {
    const { crds } = certManagerCrds();
    const issuer = (name: string, spec: unknown): KubeObject => ({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name },
      spec,
    });
    const failures = await applyAll(server.client, [
      ...crds.map((object) => ({ object, source: "cert-manager" })),
      { object: issuer("self-signed", { selfSigned: {} }), source: "test" },
      { object: issuer("broken", { selfSigned: {}, acme: { nonsense: true } }), source: "test" },
    ]);
    expect(failures.map((f) => f.object)).toEqual(["ClusterIssuer broken (cert-manager.io/v1)"]);
    expect(await server.client.get("cert-manager.io/v1", "ClusterIssuer", "self-signed")).toBeDefined();
  });

  test("reports broken links between stored objects", async () => {
    const objects: KubeObject[] = [
      { apiVersion: "v1", kind: "Service", metadata: meta("orphan"), spec: { selector: { app: "nobody" }, ports: [{ port: 80 }] } },
      { apiVersion: "v1", kind: "Service", metadata: meta("good"), spec: { selector: { app: "good" }, ports: [{ port: 80, name: "http" }] } },
      { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: meta("orphan"), spec: { maxUnavailable: 1, selector: { matchLabels: { app: "nobody" } } } },
      {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: meta("orphan"),
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "missing" }, minReplicas: 1, maxReplicas: 2 },
      },
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: meta("wrong-port"),
        spec: { rules: [{ host: "a.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "good", port: { number: 8080 } } } }] } }] },
      },
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: meta("unknown-class"),
        spec: { storageClassName: "gp2", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    ];
    expect(await applyAll(server.client, objects.map((object) => ({ object, source: "test" })))).toEqual([]);
    expect(await servicesWithoutPods(server.client)).toEqual([
      expect.stringContaining("Service harness/orphan (v1): selector {\"app\":\"nobody\"} matches no workload"),
    ]);
    expect(await disruptionBudgetsWithoutPods(server.client)).toEqual([expect.stringContaining("PodDisruptionBudget harness/orphan")]);
    expect(await autoscalersWithoutTarget(server.client)).toEqual([
      expect.stringContaining("scaleTargetRef Deployment harness/missing (apps/v1) does not exist"),
    ]);
    expect(await ingressesWithoutBackend(server.client)).toEqual([expect.stringContaining("has no port {\"number\":8080}")]);
    expect(await claimsWithUnknownStorageClass(server.client, new Set(["ebs-gp3"]))).toEqual([
      expect.stringContaining('storageClassName "gp2" is not one of ebs-gp3'),
    ]);
  });
});
