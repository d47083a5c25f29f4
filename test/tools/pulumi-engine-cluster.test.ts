/**
 * The program's workloads (infra/cluster/workloads.ts: per registered chart its
 * Namespace objects, its generated Secrets and one ConfigGroup of its objects) deployed
 * by the real Pulumi engine into kube-apiserver + kube-controller-manager, for the
 * default values and for every values/*.yaml (test/tools/synthesized.ts).
 *
 * Stand-ins, and why: the add-ons are Helm charts fetched from their upstream
 * repositories, which cannot be reached here, so they are represented by what the
 * charts' objects need of them (cert-manager's CRDs of the pinned release, the CRDs
 * checked in under charts/ and constructs/, the default StorageClass); the teardown
 * step calls AWS, so a no-op dynamic resource takes its place in the graph; the random
 * provider cannot be built here, so test/tools/bin/pulumi-resource-random
 * (pulumi-engine-random.ts) generates the Secrets' values. Charts that declare AWS
 * resources get a deploy context of made-up queue URLs and ARNs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import type { ChartEntry, DeployContext } from "../../charts/registry";
import { selectedCharts } from "../../charts/registry";
import { synthCharts } from "../../charts/synth";
import type { PlatformValues } from "../../charts/values";
import { defaultStorageClassSpec } from "../../infra/cluster/addons";
import { ADDON_VERSIONS, AddonName } from "../../infra/cluster/addons/versions";
import { PlatformResources, Workloads } from "../../infra/cluster/workloads";
import { certManagerCrds, repositoryCrds } from "./crds";
import { KubeObject } from "./kube-client";
import { PulumiEngine, Step, TestCluster, changes, skipAwaitOutsideNamespaces, stepRecorder } from "./pulumi-engine";
import { valueSets } from "./synthesized";

jest.setTimeout(60 * 60_000);

const REGION = "eu-west-1";

/**
 * A deploy context for `entry` with exactly the keys its chart reads: the chart is
 * synthesized once with a context that records every key read, and the context
 * returned holds a made-up value for each.
 */
function fakeDeployContext(entry: ChartEntry, values: PlatformValues): DeployContext {
  const fields = ["queueUrls", "topicArns", "bucketNames", "tableNames", "images"] as const;
  const fake = (field: (typeof fields)[number], key: string): string =>
    ({
      queueUrls: `https://sqs.${REGION}.amazonaws.com/123456789012/${key}`,
      topicArns: `arn:aws:sns:${REGION}:123456789012:${key}`,
      bucketNames: `engine-test-${key}`.toLowerCase(),
      tableNames: `engine-test-${key}`,
      images: `123456789012.dkr.ecr.${REGION}.amazonaws.com/${key}:test`,
    })[field];
  const used = Object.fromEntries(fields.map((f) => [f, new Set<string>()])) as Record<(typeof fields)[number], Set<string>>;
  const recorder = (field: (typeof fields)[number]) =>
    new Proxy({} as Record<string, string>, {
      get: (_t, key) => {
        if (typeof key !== "string") return undefined;
        used[field].add(key);
        return fake(field, key);
      },
    });
  synthCharts(values, [entry], { region: REGION, ...Object.fromEntries(fields.map((f) => [f, recorder(f)])) } as unknown as DeployContext);
  return {
    region: REGION,
    ...Object.fromEntries(fields.map((f) => [f, Object.fromEntries([...used[f]].map((k) => [k, fake(f, k)]))])),
  } as unknown as DeployContext;
}

/** `Kind namespace/name` of every object the charts of `values` declare. */
function declaredObjects(values: PlatformValues): KubeObject[] {
  return synthCharts(values).flatMap((c) => c.manifests as unknown as KubeObject[]);
}

/** The Pulumi type token of a Kubernetes object (`kubernetes:apps/v1:Deployment`). */
function typeToken(o: KubeObject): string {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
  return `kubernetes:${group}/${version}:${o.kind}`;
}

function objectName(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`;
}

/** The cluster side's workloads for `values`, with the add-ons' stand-ins. */
function workloadsProgram(kubeconfig: () => string, values: () => PlatformValues): PulumiFn {
  return async () => {
    const v = values();
    skipAwaitOutsideNamespaces();
    const provider = new k8s.Provider("cluster", { kubeconfig: pulumi.secret(kubeconfig()) });
    const crds = new k8s.yaml.v2.ConfigGroup(
      "addon-crds",
      { objs: [certManagerCrds(), ...repositoryCrds()].flatMap((s) => s.crds) as unknown as Record<string, unknown>[] },
      { provider },
    );
    const storageClass = new k8s.storage.v1.StorageClass("storage-class", defaultStorageClassSpec(v.global.storageClass), { provider });
    const addons = Object.fromEntries((Object.keys(ADDON_VERSIONS) as AddonName[]).map((a) => [a, crds])) as unknown as Record<AddonName, pulumi.Resource>;
    const platform: PlatformResources = { ...addons, storageClass };
    const teardown = new TeardownStandIn("teardown", { dependsOn: [crds, storageClass] });
    const charts = selectedCharts(v);
    new Workloads("workloads", {
      provider,
      charts: charts.map((c) => c.id),
      values: v,
      deployContexts: Object.fromEntries(charts.filter((c) => c.aws).map((c) => [c.id, fakeDeployContext(c, v)])),
      platform,
      teardown,
    });
  };
}

const noopProvider: pulumi.dynamic.ResourceProvider = {
  async create() {
    return { id: "teardown", outs: {} };
  },
};

/** Where the program's teardown step sits in the graph: deleted after every workload. */
class TeardownStandIn extends pulumi.dynamic.Resource {
  constructor(name: string, opts: pulumi.CustomResourceOptions) {
    super(noopProvider, name, {}, opts);
  }
}

describe("the program's workloads through the Pulumi engine", () => {
  let cluster: TestCluster;
  let engine: PulumiEngine;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    engine = await PulumiEngine.create();
    const v = engine.versions();
    console.log(`Kubernetes provider ${v.provider} (npm @pulumi/kubernetes ${v.npmKubernetes}); CLI ${v.cli}`);
  });

  afterAll(async () => {
    await engine?.remove();
    await cluster?.stop();
  });

  /** Objects of `declared` still on the server (a kind no longer served counts as gone). */
  async function leftovers(declared: KubeObject[]): Promise<string[]> {
    const client = cluster.api.client;
    await client.discover();
    const left: string[] = [];
    for (const o of declared) {
      if (!client.knows(o.apiVersion, o.kind)) continue;
      if ((await client.get(o.apiVersion, o.kind, o.metadata.name ?? "", o.metadata.namespace)) !== undefined) {
        left.push(`${o.kind} ${objectName(o)}`);
      }
    }
    return left;
  }

  const sets = valueSets();

  test.each(sets.map((s, i) => [s.name, i] as const))("%s: up, a no-op second up, destroy leaves nothing", async (name, i) => {
    let values = sets[i].values;
    const stack: Stack = await engine.stack(`workloads-${i}`, workloadsProgram(() => cluster.api.kubeconfig(), () => values));
    const declared = declaredObjects(values);

    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const client = cluster.api.client;
    await client.discover();
    const missing: string[] = [];
    for (const o of declared) {
      if ((await client.get(o.apiVersion, o.kind, o.metadata.name ?? "", o.metadata.namespace)) === undefined) missing.push(`${o.kind} ${objectName(o)}`);
    }
    expect({ name, missing }).toEqual({ name, missing: [] });
    // Every generated Secret exists with a value for each key.
    const secrets = (await client.list("v1", "Secret")).filter((s) => s.metadata.labels?.["app.kubernetes.io/managed-by"] === "pulumi");
    for (const s of secrets) {
      for (const [key, value] of Object.entries((s as { data?: Record<string, string> }).data ?? {})) {
        expect({ secret: objectName(s), key, empty: value.length === 0 }).toEqual({ secret: objectName(s), key, empty: false });
      }
    }

    const again = await stack.up();
    expect({ name, changes: changes(again.summary.resourceChanges) }).toEqual({ name, changes: {} });

    if (name === "default values") {
      // One value that a user would change: the HPA ceiling of one chart.
      const changed: PlatformValues = {
        ...values,
        gourmetgram: { ...values.gourmetgram, autoscaling: { ...values.gourmetgram.autoscaling, maxReplicas: values.gourmetgram.autoscaling.maxReplicas + 1 } },
      };
      const before = new Map(declared.map((o) => [`${typeToken(o)} ${objectName(o)}`, JSON.stringify(o)]));
      const expected = declaredObjects(changed)
        .filter((o) => before.get(`${typeToken(o)} ${objectName(o)}`) !== JSON.stringify(o))
        .map((o) => `${typeToken(o)} ${objectName(o)}`)
        .sort();
      expect(expected.length).toBeGreaterThan(0);
      values = changed;
      const planned = stepRecorder();
      await stack.preview({ onEvent: planned.onEvent });
      // ConfigGroup children are named `<group>:<namespace>/<name>`.
      const describe = (s: Step) => `${s.type} ${s.name.slice(s.name.indexOf(":") + 1)}`;
      expect(planned.steps.map(describe).sort()).toEqual(expected);
      const applied = stepRecorder();
      const upChanged = await stack.up({ onEvent: applied.onEvent });
      expect(upChanged.summary.result).toBe("succeeded");
      expect(applied.steps.map(describe).sort()).toEqual(expected);
    }

    const destroy = await stack.destroy();
    expect(destroy.summary.result).toBe("succeeded");
    expect({ name, left: await leftovers(declaredObjects(values)) }).toEqual({ name, left: [] });
    expect({ name, secretsLeft: (await cluster.api.client.list("v1", "Secret")).filter((s) => s.metadata.labels?.["app.kubernetes.io/managed-by"] === "pulumi").map(objectName) }).toEqual({ name, secretsLeft: [] });
    const state = (await stack.exportStack()).deployment as { resources?: unknown[] };
    expect(state.resources ?? []).toEqual([]);
    await stack.workspace.removeStack(stack.name);
  });
});
