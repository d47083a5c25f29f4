/**
 * The real Pulumi engine (CLI + Kubernetes provider built from the Go module proxy)
 * deploying an inline program into the real kube-apiserver with kube-controller-manager:
 * what mocks cannot show. `up` creates, a second `up` changes nothing, a changed value
 * previews and applies as exactly one update, `destroy` leaves no object behind.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import {
  DEMO_LABEL as LABEL,
  DEMO_NAMESPACE as NS,
  DEMO_RESOURCES as RESOURCES,
  DemoValues,
  PulumiEngine,
  TestCluster,
  changes,
  demoProgram,
  stepRecorder,
} from "./pulumi-engine";

jest.setTimeout(15 * 60_000);

describe("the Pulumi engine against kube-apiserver + kube-controller-manager", () => {
  let cluster: TestCluster;
  let engine: PulumiEngine;
  let stack: Stack;
  let markerFile: string;
  let values: DemoValues = { greeting: "hello", replicas: 1 };

  const program = demoProgram({
    kubeconfig: () => cluster.api.kubeconfig(),
    values: () => values,
    markerFile: () => markerFile,
  });

  const client = () => cluster.api.client;

  beforeAll(async () => {
    markerFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "engine-marker-")), "deleted");
    cluster = await TestCluster.start();
    engine = await PulumiEngine.create();
    stack = await engine.stack("test", program);
    const v = engine.versions();
    console.log(
      `Pulumi engine exercised: CLI ${v.cli} (npm @pulumi/pulumi ${v.npmPulumi}); ` +
        `Kubernetes provider ${v.provider} (npm @pulumi/kubernetes ${v.npmKubernetes})`,
    );
  });

  afterAll(async () => {
    await engine?.remove();
    await cluster?.stop();
    if (markerFile) fs.rmSync(path.dirname(markerFile), { recursive: true, force: true });
  });

  test("up creates every resource, through the built provider, and the objects are on the server", async () => {
    let output = "";
    const up = await stack.up({ onOutput: (s) => (output += s) });
    expect(up.summary.result).toBe("succeeded");
    expect(changes(up.summary.resourceChanges)).toEqual({ create: RESOURCES });
    // The engine ran the provider this repository built, not a downloaded one.
    expect(output).toContain(`using pulumi-resource-kubernetes from $PATH at ${engine.dir}/bin/pulumi-resource-kubernetes`);
    expect(output).toContain("using pulumi-resource-pulumi-nodejs from $PATH");

    await client().discover();
    expect((await client().get("v1", "Namespace", NS))?.metadata.name).toBe(NS);
    expect((await client().get("v1", "ConfigMap", "settings", NS))?.data).toEqual({ greeting: "hello" });
    for (const [apiVersion, kind, name, ns] of [
      ["v1", "ServiceAccount", "web", NS],
      ["v1", "ConfigMap", "web-config", NS],
      ["apps/v1", "Deployment", "web", NS],
      ["rbac.authorization.k8s.io/v1", "ClusterRole", "engine-test-reader", undefined],
    ] as const) {
      expect(await client().get(apiVersion, kind, name, ns)).toBeDefined();
    }
    // The controller manager reconciles: the Deployment got its ReplicaSet.
    await eventually(async () => (await labelled("apps/v1", "ReplicaSet")).length === 1, "a ReplicaSet for the Deployment");
  });

  test("a second up with the same inputs changes nothing", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(changes(up.summary.resourceChanges)).toEqual({});
    expect(up.summary.resourceChanges?.same).toBe(RESOURCES);
  });

  test("changing the Deployment's replicas previews and applies as exactly one in-place update", async () => {
    values = { ...values, replicas: 2 };
    const planned = stepRecorder();
    const preview = await stack.preview({ onEvent: planned.onEvent });
    expect(changes(preview.changeSummary)).toEqual({ update: 1 });
    expect(planned.steps).toEqual([{ op: "update", type: "kubernetes:apps/v1:Deployment", name: `app:${NS}/web` }]);

    const applied = stepRecorder();
    const up = await stack.up({ onEvent: applied.onEvent });
    expect(changes(up.summary.resourceChanges)).toEqual({ update: 1 });
    expect(applied.steps).toEqual(planned.steps);
    const deployment = (await client().get("apps/v1", "Deployment", "web", NS)) as { spec?: { replicas?: number } } | undefined;
    expect(deployment?.spec?.replicas).toBe(2);
  });

  test("changing a ConfigMap's data previews and applies as exactly one replacement", async () => {
    // The provider treats ConfigMap data as immutable (the program's provider does not set
    // enableConfigMapMutable), so pods that mount it roll to the new object.
    values = { ...values, greeting: "changed" };
    const planned = stepRecorder();
    const preview = await stack.preview({ onEvent: planned.onEvent });
    expect(changes(preview.changeSummary)).toEqual({ replace: 1 });
    expect(planned.steps).toEqual([{ op: "replace", type: "kubernetes:core/v1:ConfigMap", name: "settings" }]);

    const up = await stack.up();
    expect(changes(up.summary.resourceChanges)).toEqual({ replace: 1 });
    expect((await client().get("v1", "ConfigMap", "settings", NS))?.data).toEqual({ greeting: "changed" });
  });

  test("destroy removes everything up created, and the state is empty", async () => {
    const destroy = await stack.destroy();
    expect(destroy.summary.result).toBe("succeeded");
    expect(changes(destroy.summary.resourceChanges)).toEqual({ delete: RESOURCES });
    expect(fs.readFileSync(markerFile, "utf8")).toBe("deleted\n");

    // The namespace's await held destroy until the controller manager finalized it.
    expect(await client().get("v1", "Namespace", NS)).toBeUndefined();
    expect(await client().get("rbac.authorization.k8s.io/v1", "ClusterRole", "engine-test-reader")).toBeUndefined();
    for (const [apiVersion, kind] of [
      ["v1", "ConfigMap"],
      ["v1", "ServiceAccount"],
      ["apps/v1", "Deployment"],
      ["apps/v1", "ReplicaSet"],
      ["v1", "Pod"],
    ] as const) {
      expect({ kind, left: (await labelled(apiVersion, kind)).map((o) => o.metadata.name) }).toEqual({ kind, left: [] });
    }
    const state = (await stack.exportStack()).deployment as { resources?: unknown[] };
    expect(state.resources ?? []).toEqual([]);
  });

  async function labelled(apiVersion: string, kind: string) {
    return (await client().list(apiVersion, kind)).filter((o) => o.metadata.labels?.[LABEL] !== undefined);
  }

  async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) {
        throw new Error(`no ${what} within ${timeoutMs / 1000}s; controller manager log:\n${cluster.controllerManagerLog()}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
});
