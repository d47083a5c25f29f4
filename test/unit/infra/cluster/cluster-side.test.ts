/**
 * The program's cluster side under Pulumi mocks: add-ons at their pinned versions
 * with their key values, the default StorageClass, one ConfigGroup per chart with
 * the add-ons its objects need, generated Secrets, outputs, the destroy order
 * around the teardown step, and nothing in the cluster when workloads are disabled.
 */
import * as pulumi from "@pulumi/pulumi";
import { installPulumiMocks, RecordedResource, TEST_ACCOUNT, TEST_REGION, validStackConfig, valueOf } from "../../support/pulumi-mocks";
import { DependencyRecorder } from "../../support/dependency-recorder";

const NLB_HOSTNAME = "a1b2c3-0123456789.elb.us-east-1.amazonaws.com";
const queueUrl = (name: string) => `https://sqs.${TEST_REGION}.amazonaws.com/${TEST_ACCOUNT}/${name}`;

const mocks = installPulumiMocks({
  config: validStackConfig(),
  resourceState: ({ type, name, inputs }) => {
    if (type === "aws:sqs/queue:Queue") return { url: queueUrl(name) };
    if (type === "kubernetes:core/v1:Service" && inputs.spec?.type === "LoadBalancer") {
      return { status: { loadBalancer: { ingress: [{ hostname: NLB_HOSTNAME }] } } };
    }
    return undefined;
  },
});

import { DEFAULT_INGRESS_CLASS, DEFAULT_STORAGE_CLASS } from "../../../../charts/global-values";
import { defaultValues } from "../../../../charts/values";
import { GRAFANA_NAMESPACE } from "../../../../charts/grafana/values";
import { RELEASE_NAMES } from "../../../../infra/cluster/addons";
import { ADDON_VERSIONS, AddonName } from "../../../../infra/cluster/addons/versions";
import { DEFAULT_WORKLOAD_CHARTS } from "../../../../infra/config/workloads";

const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_";
const CONFIG = validStackConfig({ workloads: { telegramBotToken: TOKEN }, tags: { team: "platform" } });

const CHART = "kubernetes:helm.sh/v4:Chart";
const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";

async function runProgram(config: Record<string, unknown>) {
  mocks.reset();
  mocks.setConfig(config);
  const recorder = new DependencyRecorder();
  let outputs: Record<string, unknown> = {};
  let error: Error | undefined;
  jest.isolateModules(() => {
    recorder.install();
    try {
      outputs = require("../../../../infra/index"); // eslint-disable-line @typescript-eslint/no-require-imports
    } catch (e) {
      error = e as Error;
    }
  });
  await mocks.settle();
  await recorder.resolve();
  return { outputs, error, recorder };
}

const chartOf = (addon: AddonName): RecordedResource => {
  const v = ADDON_VERSIONS[addon];
  const found = mocks.ofType(CHART).filter((r) => r.inputs.chart === v.chart);
  expect(found).toHaveLength(1);
  return found[0];
};

describe("the default stack (workloads on)", () => {
  let run: Awaited<ReturnType<typeof runProgram>>;
  beforeAll(async () => {
    run = await runProgram(CONFIG);
    if (run.error) throw run.error;
  }, 60_000);

  it.each(Object.keys(ADDON_VERSIONS) as AddonName[])("declares %s from its pinned chart version with resource requests", (addon) => {
    const v = ADDON_VERSIONS[addon];
    const c = chartOf(addon);
    expect(c.inputs.version).toBe(v.version);
    expect(c.inputs.namespace).toBe(v.namespace);
    if (v.repo) expect(c.inputs.repositoryOpts).toEqual({ repo: v.repo });
    else expect(c.inputs.chart).toMatch(/^oci:\/\//);
    // Every image we pin is set in the values, with exactly that tag.
    const json = JSON.stringify(c.inputs.values);
    for (const image of Object.values(v.images)) {
      expect(json).toContain(JSON.stringify({ repository: image.repository, tag: image.tag }));
    }
    expect(json).toMatch(/"requests":\{"cpu":"\d+m","memory":"\d+Mi"\}/);
  });

  it("pins the version-coupled controllers to the cluster's Kubernetes minor", () => {
    expect(chartOf("cloudControllerManager").inputs.values.image.tag).toBe("v1.35.0");
    expect(chartOf("clusterAutoscaler").inputs.values.image.tag).toBe("v1.35.0");
  });

  it("gives Calico kubeadm's pod CIDR", () => {
    const pools = chartOf("calico").inputs.values.installation.calicoNetwork.ipPools;
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({ cidr: "192.168.0.0/16", encapsulation: "VXLAN" });
  });

  it("runs the cloud controller manager for AWS on the control plane without cloud routes", () => {
    const v = chartOf("cloudControllerManager").inputs.values;
    expect(v.args).toEqual(expect.arrayContaining(["--cloud-provider=aws", "--configure-cloud-routes=false", "--cluster-name=demo"]));
    expect(v.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "" });
    expect(v.tolerations.map((t: { key: string }) => t.key)).toEqual(
      expect.arrayContaining(["node-role.kubernetes.io/control-plane", "node.cloudprovider.kubernetes.io/uninitialized"]),
    );
  });

  it.each(["ebsCsiDriver", "nodeTerminationHandler", "clusterAutoscaler"] as AddonName[])(
    "places %s (reads instance credentials) on the control plane",
    (addon) => {
      const v = chartOf(addon).inputs.values;
      const placed = addon === "ebsCsiDriver" ? v.controller : v;
      expect(placed.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "" });
      expect(placed.tolerations).toContainEqual({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" });
    },
  );

  it("tags EBS volumes for this cluster and reads the termination queue in queue mode", () => {
    expect(chartOf("ebsCsiDriver").inputs.values.controller).toMatchObject({ k8sTagClusterId: "demo", region: TEST_REGION });
    const nth = chartOf("nodeTerminationHandler").inputs.values;
    const queue = mocks.one("aws:sqs/queue:Queue", "-node-termination");
    expect(nth).toMatchObject({ enableSqsTerminationDraining: true, queueURL: queue.state.url, awsRegion: TEST_REGION });
  });

  it("discovers this cluster's groups for the autoscaler", () => {
    const ca = chartOf("clusterAutoscaler").inputs.values;
    expect(ca).toMatchObject({ cloudProvider: "aws", awsRegion: TEST_REGION, autoDiscovery: { clusterName: "demo" } });
    expect(ca.autoDiscovery.tags).toEqual(["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/demo"]);
  });

  it("installs cert-manager with its CRDs and the F5 ingress controller with the charts' IngressClass and metrics", () => {
    expect(chartOf("certManager").inputs.values.crds).toMatchObject({ enabled: true });
    const nginx = chartOf("nginxIngress");
    expect(nginx.inputs.chart).toBe("oci://ghcr.io/nginx/charts/nginx-ingress");
    expect(nginx.inputs.values.controller.ingressClass).toMatchObject({ name: DEFAULT_INGRESS_CLASS, create: true });
    expect(nginx.inputs.values.prometheus).toMatchObject({ create: true, port: defaultValues().prometheus.ingressController.metricsPort });
    expect(mocks.ofType(CHART).map((c) => c.inputs.chart)).not.toContain("ingress-nginx");
  });

  it("creates the charts' default StorageClass: encrypted gp3, WaitForFirstConsumer, Delete, expandable", () => {
    const sc = mocks.one("kubernetes:storage.k8s.io/v1:StorageClass");
    expect(sc.inputs).toMatchObject({
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true" },
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Delete",
      allowVolumeExpansion: true,
    });
  });

  it("exposes the ingress controller through an NLB Service", () => {
    const svc = mocks.ofType("kubernetes:core/v1:Service").find((s) => s.inputs.spec?.type === "LoadBalancer");
    expect(svc?.inputs.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"]).toBe("nlb");
    expect(svc?.inputs.metadata.namespace).toBe(ADDON_VERSIONS.nginxIngress.namespace);
    expect(svc?.inputs.spec.ports.map((p: { port: number }) => p.port)).toEqual([80, 443]);
  });

  it("deploys each default chart as its own ConfigGroup built from the chart classes", () => {
    const groups = mocks.ofType(CONFIG_GROUP).filter((g) => !g.name.endsWith("-namespace"));
    expect(groups.map((g) => g.name.replace("demo-workloads-", "")).sort()).toEqual([...DEFAULT_WORKLOAD_CHARTS].sort());
    const od = groups.find((g) => g.name.endsWith("-object-detection"));
    const configMap = od?.inputs.objs.find((o: { kind: string }) => o.kind === "ConfigMap");
    const jobs = mocks.ofType("aws:sqs/queue:Queue").find((q) => q.name === "demo-od-jobs");
    expect(configMap.data.JOBS_QUEUE_URL).toBe(jobs?.state.url);
    expect(JSON.stringify(od?.inputs.objs)).not.toContain("SET-BY-PULUMI");
    // Namespaces come first, in their own group, so the Secrets can be created inside them.
    expect(od?.inputs.objs.some((o: { kind: string }) => o.kind === "Namespace")).toBe(false);
    expect(mocks.ofType(CONFIG_GROUP).some((g) => g.name.endsWith("object-detection-namespace"))).toBe(true);
  });

  it("makes every chart's ConfigGroup wait for the add-ons its objects need", () => {
    const r = run.recorder;
    const exact = (id: string) => r.registrations.find((x) => x.type === CONFIG_GROUP && x.name === `demo-workloads-${id}`)!.resource;
    const addon = (a: AddonName) => r.registrations.find((x) => x.type === CHART && x.name === `demo-addons-${RELEASE_NAMES[a]}`)!.resource;
    const storageClass = r.find("kubernetes:storage.k8s.io/v1:StorageClass", "default-storage").resource;
    // Direct dependencies: everything also waits for the teardown step, which waits for
    // every add-on, so only the chart's own list shows what its objects need.
    const needs = (id: string, what: pulumi.Resource) => r.directDependencies(exact(id)).includes(what);
    for (const id of DEFAULT_WORKLOAD_CHARTS) {
      expect([id, needs(id, addon("calico")), needs(id, addon("cloudControllerManager"))]).toEqual([id, true, true]);
    }
    // Ingress with a cert-manager certificate: the controller, cert-manager and the ClusterIssuers.
    for (const id of ["object-detection", "grafana"]) {
      expect([id, needs(id, addon("nginxIngress")), needs(id, addon("certManager")), needs(id, exact("cluster-issuers"))]).toEqual([id, true, true, true]);
    }
    expect(needs("cluster-issuers", addon("certManager"))).toBe(true);
    // yolo5's HPA needs the metrics API; Grafana's and Prometheus' volumes the StorageClass and the CSI driver.
    expect(needs("object-detection", addon("metricsServer"))).toBe(true);
    for (const id of ["grafana", "prometheus"]) {
      expect([id, needs(id, storageClass), needs(id, addon("ebsCsiDriver"))]).toEqual([id, true, true]);
    }
    // Only what is needed: FluentD has no Ingress, no volume claim and no HPA.
    for (const a of ["nginxIngress", "certManager", "ebsCsiDriver", "metricsServer"] as AddonName[]) {
      expect([a, needs("fluentd", addon(a))]).toEqual([a, false]);
    }
    // Transitively, each still comes after the teardown step's dependencies.
    expect(r.dependsOn(exact("fluentd"), addon("nginxIngress"))).toBe(true);
  });

  it("generates the Secrets the charts reference as secret outputs", async () => {
    const secrets = mocks.ofType("kubernetes:core/v1:Secret");
    const byName = Object.fromEntries(secrets.map((s) => [s.inputs.metadata.name, s]));
    // The mocks hand secret inputs over wrapped in Pulumi's secret signature.
    const SIG = "4dabf18193072939515e22adb298388d";
    const SECRET = "1b47061264138c4ac30d75fd1eb44270";
    const data = (name: string) => {
      const raw = byName[name].inputs.stringData;
      expect(raw[SIG]).toBe(SECRET);
      return raw.value;
    };
    const v = defaultValues();
    expect(byName[v.grafana.adminSecret.name].inputs.metadata.namespace).toBe(GRAFANA_NAMESPACE);
    expect(data(v.grafana.adminSecret.name)[v.grafana.adminSecret.passwordKey]).toMatch(/^mock-/);
    const tg = data(v.objectDetection.polybot.telegramSecret.name);
    expect(tg[v.objectDetection.polybot.telegramSecret.tokenKey]).toBe(TOKEN);
    expect(tg[v.objectDetection.polybot.telegramSecret.webhookSecretKey]).toMatch(/^mock-/);
    for (const reg of run.recorder.registrations.filter((x) => x.type === "kubernetes:core/v1:Secret")) {
      expect(await pulumi.isSecret((reg.resource as unknown as { stringData: pulumi.Output<unknown> }).stringData)).toBe(true);
    }
  });

  it("exports the load balancer's DNS name, the Grafana and webhook URLs, and a secret kubeconfig", async () => {
    const o = run.outputs;
    const v = defaultValues();
    expect(await valueOf(o.ingressLoadBalancerHostname as pulumi.Output<string>)).toBe(NLB_HOSTNAME);
    expect(o.grafanaUrl).toBe(`https://${v.grafana.host}`);
    expect(o.botWebhookUrl).toBe(`https://${v.objectDetection.polybot.host}/telegram/webhook`);
    expect(await pulumi.isSecret(o.kubeconfig as pulumi.Output<string>)).toBe(true);
  });

  describe("destroy order around the teardown step", () => {
    const teardown = () => run.recorder.find("pulumi-nodejs:dynamic/platform:ClusterTeardown", "teardown").resource;

    it("runs the cleanup before the add-ons, the nodes, IAM and the network go", () => {
      const r = run.recorder;
      const mustOutlive = [
        r.find(CHART, "aws-cloud-controller-manager").resource,
        r.find(CHART, "aws-ebs-csi-driver").resource,
        r.find("aws:autoscaling/group:Group", "general").resource,
        r.registrations.find((x) => x.type === "aws:ec2/instance:Instance")!.resource,
        r.registrations.find((x) => x.type === "aws:ec2/vpc:Vpc")!.resource,
        r.registrations.find((x) => x.type === "aws:ec2/internetGateway:InternetGateway")!.resource,
        r.registrations.find((x) => x.type === "aws:iam/role:Role")!.resource,
      ];
      for (const res of mustOutlive) expect(r.dependsOn(teardown(), res)).toBe(true);
    });

    it("deletes every workload, its Secrets and the ingress LoadBalancer Service before the cleanup", () => {
      const r = run.recorder;
      const first = r.registrations.filter(
        (x) => x.type === CONFIG_GROUP || x.type === "kubernetes:core/v1:Secret" || (x.type === "kubernetes:core/v1:Service" && x.name.includes("ingress")),
      );
      expect(first.length).toBeGreaterThan(DEFAULT_WORKLOAD_CHARTS.length);
      for (const x of first) expect([x.name, r.dependsOn(x.resource, teardown())]).toEqual([x.name, true]);
      // The cleanup must not wait for a workload (that would invert the order).
      expect(r.dependsOn(teardown(), first[0].resource)).toBe(false);
    });

    it("records the cluster, region, VPC and bound the cleanup needs at destroy time", () => {
      const t = mocks.ofType("pulumi-nodejs:dynamic/platform:ClusterTeardown")[0];
      expect(t.inputs).toMatchObject({ clusterName: "demo", region: TEST_REGION, timeoutMinutes: 20 });
      expect(t.inputs.vpcId).toBe(mocks.one("aws:ec2/vpc:Vpc").id);
      expect(typeof t.inputs.__provider).toBe("string");
    });
  });
});

describe("stacks that deploy less", () => {
  it("declares nothing in the cluster when workloads are disabled", async () => {
    const run = await runProgram(validStackConfig({ workloads: { enabled: false } }));
    expect(run.error).toBeUndefined();
    // The etcd encryption key (random bytes delivered through Secrets Manager) is AWS-side.
    const clusterRandom = (r: { type: string; name: string }) => r.type.startsWith("random:") && !r.name.endsWith("-secrets-encryption");
    const clusterSide = mocks.resources.filter(
      (r) => r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi-nodejs:dynamic") || clusterRandom(r) || r.type === "platform:infra:ClusterAccess",
    );
    expect(clusterSide.map((r) => r.type)).toEqual([]);
    expect(mocks.ofType("aws:ec2/instance:Instance")).toHaveLength(1);
    expect(run.outputs.ingressLoadBalancerHostname).toBeUndefined();
    expect(run.outputs.grafanaUrl).toBeUndefined();
  }, 60_000);

  it("installs only the add-ons when the chart list is empty", async () => {
    const run = await runProgram(validStackConfig({ workloads: { charts: [] } }));
    // (An empty list needs no ClusterIssuers; a FluentD-only stack neither.)
    expect(run.error).toBeUndefined();
    expect(mocks.ofType(CONFIG_GROUP)).toEqual([]);
    expect(mocks.ofType("kubernetes:core/v1:Secret")).toEqual([]);
    expect(mocks.ofType(CHART)).toHaveLength(Object.keys(ADDON_VERSIONS).length);
  }, 60_000);

  it("rejects an unknown chart id and a bad chart value before declaring anything", async () => {
    const run = await runProgram(validStackConfig({ workloads: { charts: ["grafana", "wordpress"], values: { global: { domain: "Not A Domain" } } } }));
    expect(run.error?.message).toContain("workloads.charts[1]");
    expect(run.error?.message).toContain("wordpress");
    expect(run.error?.message).toContain("workloads.values.global.domain");
    expect(mocks.resources).toEqual([]);
  }, 60_000);

  it("refuses charts whose certificates nobody would issue, before declaring anything", async () => {
    const run = await runProgram(validStackConfig({ workloads: { charts: ["grafana", "fluentd"] } }));
    expect(run.error?.message).toContain("workloads.charts");
    expect(run.error?.message).toContain("includes cluster-issuers, which issues the certificates these charts request: grafana");
    expect(mocks.resources).toEqual([]);
  }, 60_000);

  it("refuses object-detection without its queues, before declaring anything", async () => {
    const run = await runProgram(validStackConfig({ objectDetection: { enabled: false }, workloads: { charts: ["object-detection"] } }));
    expect(run.error?.message).toContain("workloads.charts");
    expect(run.error?.message).toContain("objectDetection.enabled");
    expect(mocks.resources).toEqual([]);
  }, 60_000);
});
