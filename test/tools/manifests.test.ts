/**
 * Every object of every chart, for the default values and every values file, applied
 * to a real kube-apiserver of the pinned release (server-side dry-run, then create,
 * in dependency order, strict field validation), after the CRDs of the custom
 * resources the charts use. Then the links between the stored objects are checked.
 * One fresh API server per value set, since the charts create the same objects.
 */
import { DEFAULT_STORAGE_CLASS } from "../../charts/global-values";
import { TestApiServer } from "./apiserver";
import { applyAll, formatFailures, SourcedObject } from "./apply";
import {
  autoscalersWithoutTarget,
  claimsWithUnknownStorageClass,
  disruptionBudgetsWithoutPods,
  ingressesWithoutBackend,
  servicesWithoutPods,
} from "./cluster-checks";
import { allCrds } from "./crds";
import { synthesize, valueSets } from "./synthesized";

jest.setTimeout(300_000);

const crdItems: SourcedObject[] = allCrds().flatMap(({ source, crds }) => crds.map((object) => ({ object, source })));

describe.each(valueSets().map((s) => [s.name, s] as const))("charts with %s on a real API server", (_name, set) => {
  const charts = synthesize(set.values);
  let server: TestApiServer;

  beforeAll(async () => {
    server = await TestApiServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("the charts produce objects", () => {
    expect(charts.length).toBeGreaterThan(0);
    expect(charts.every((c) => c.objects.length > 0)).toBe(true);
  });

  test("the API server accepts every object (dry-run, then create)", async () => {
    const items: SourcedObject[] = [
      ...crdItems,
      ...charts.flatMap((c) => c.objects.map((object) => ({ object, source: `dist/${c.chart}.k8s.yaml` }))),
    ];
    const failures = await applyAll(server.client, items);
    expect(formatFailures(failures)).toBe("");
  });

  test("every Service selects the pods of a workload", async () => {
    expect(await servicesWithoutPods(server.client)).toEqual([]);
  });

  test("every PodDisruptionBudget selects the pods of a workload", async () => {
    expect(await disruptionBudgetsWithoutPods(server.client)).toEqual([]);
  });

  test("every HorizontalPodAutoscaler's target exists", async () => {
    expect(await autoscalersWithoutTarget(server.client)).toEqual([]);
  });

  test("every Ingress backend is an existing Service port", async () => {
    expect(await ingressesWithoutBackend(server.client)).toEqual([]);
  });

  test("every PVC names a StorageClass the platform (or the chosen target cluster) provides", async () => {
    // The EBS CSI add-on creates DEFAULT_STORAGE_CLASS; charts may create their own classes;
    // a values file aimed at another cluster (values/kind.yaml) names that cluster's class.
    const allowed = new Set([
      DEFAULT_STORAGE_CLASS,
      set.values.global.storageClass,
      ...charts.flatMap((c) => c.objects.filter((o) => o.kind === "StorageClass").map((o) => o.metadata.name ?? "")),
    ]);
    expect(await claimsWithUnknownStorageClass(server.client, allowed)).toEqual([]);
  });
});
