import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CHARTS, selectedCharts } from "../../../charts/registry";
import { synthCharts } from "../../../charts/synth";
import { defaultValues, parseValues } from "../../../charts/values";
import { GENERATED_NOTEBOOK_PASSWORD_SECRET } from "../../../charts/dask/values";
import { objectDetectionAwsConfig } from "../../../charts/object-detection/registration";
import { OBJECT_DETECTION_DEFAULTS } from "../../../charts/object-detection/stack-config";
import { assertChartInvariants } from "./invariants";

const REPO = path.resolve(__dirname, "../../..");
const valuesFile = (name: string) => parseValues(parse(fs.readFileSync(path.join(REPO, "values", name), "utf8")), name);

describe("chart registry", () => {
  test("ids are unique file-name-safe stems", () => {
    const ids = CHARTS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  const sets: [string, () => ReturnType<typeof defaultValues>][] = [
    ["built-in defaults", defaultValues],
    ["values/example.yaml", () => valuesFile("example.yaml")],
    ["values/kind.yaml", () => valuesFile("kind.yaml")],
  ];

  describe.each(sets)("with %s", (_name, values) => {
    const charts = synthCharts(values());
    const selected = selectedCharts(values()).map((c) => c.id);

    test("synthesizes every registered chart the values select", () => {
      expect(charts.map((c) => c.id)).toEqual(selected);
      expect(selected).toEqual(CHARTS.filter((c) => c.enabled?.(values()) ?? true).map((c) => c.id));
      for (const c of charts) expect(c.manifests.length).toBeGreaterThan(0);
    });

    test.each(selected)("%s follows the chart invariants", (id) => {
      assertChartInvariants(charts.find((c) => c.id === id)!.manifests);
    });

    test.each(selected)("%s: registry namespace matches its namespaced objects", (id) => {
      const entry = CHARTS.find((c) => c.id === id)!;
      const namespaces = new Set(charts.find((c) => c.id === id)!.manifests.map((m) => (m as { metadata?: { namespace?: string } }).metadata?.namespace).filter(Boolean));
      if (entry.namespace === undefined) expect([...namespaces]).toEqual([]);
      else expect(namespaces.has(entry.namespace)).toBe(true);
    });

    test("the YAML text parses back to the manifests", () => {
      const { parseAllDocuments } = jest.requireActual("yaml") as typeof import("yaml");
      for (const c of charts) expect(parseAllDocuments(c.yaml).map((d) => d.toJS())).toEqual(c.manifests);
    });
  });

  test("the kind values select kind's storage class and the example's the ECR registry", () => {
    expect(valuesFile("kind.yaml").global.storageClass).toBe("standard");
    const example = synthCharts(valuesFile("example.yaml"));
    expect(JSON.stringify(example)).toContain("123456789012.dkr.ecr.eu-west-1.amazonaws.com/object-detection/polybot:2.3.1");
    expect(example.find((c) => c.id === "cluster-issuers")!.manifests.map((m) => (m as { metadata: { name: string } }).metadata.name)).toEqual([
      "platform-selfsigned",
      "platform-acme",
    ]);
  });
});

describe("chart selection", () => {
  test("optional charts are left out unless their values enable them", () => {
    expect(selectedCharts(defaultValues()).map((c) => c.id)).not.toContain("dask");
    expect(selectedCharts(defaultValues()).map((c) => c.id)).toContain("gosty");
    const values = parseValues({ dask: { enabled: true, notebook: { passwordSecret: { name: "nb" } } }, gosty: { enabled: false } });
    const ids = synthCharts(values).map((c) => c.id);
    expect(ids).toContain("dask");
    expect(ids).not.toContain("gosty");
  });
});

describe("deploy context", () => {
  test("Pulumi's queue coordinates reach the object-detection ConfigMap; synth keeps the placeholders", () => {
    const deploy = {
      region: "eu-west-1",
      queueUrls: {
        jobs: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
        metering: "https://sqs.eu-west-1.amazonaws.com/123456789012/metering",
        "model-analyzer": "https://sqs.eu-west-1.amazonaws.com/123456789012/model-analyzer",
      },
      topicArns: { "prediction-events": "arn:aws:sns:eu-west-1:123456789012:events" },
    };
    const od = CHARTS.filter((c) => c.id === "object-detection");
    const deployed = synthCharts(defaultValues(), od, deploy)[0].yaml;
    expect(deployed).toContain("JOBS_QUEUE_URL: https://sqs.eu-west-1.amazonaws.com/123456789012/jobs");
    expect(deployed).toContain("PREDICTION_EVENTS_TOPIC_ARN: arn:aws:sns:eu-west-1:123456789012:events");
    expect(deployed).not.toContain("SET-BY-PULUMI");
    expect(synthCharts(defaultValues(), od)[0].yaml).toContain("JOBS_QUEUE_URL: SET-BY-PULUMI-jobs-queue-url");
  });

  test("every queue, topic, bucket and table the chart reads is one it declares", () => {
    const entry = CHARTS.find((c) => c.id === "object-detection")!;
    const decl = entry.aws!.messaging({ ...OBJECT_DETECTION_DEFAULTS });
    const storage = entry.aws!.storage!({ ...OBJECT_DETECTION_DEFAULTS });
    const queueKeys = [...decl.queues.map((q) => q.key), ...decl.topics.flatMap((t) => t.subscribers.map((s) => s.key))];
    const deploy = {
      region: "eu-west-1",
      queueUrls: Object.fromEntries(queueKeys.map((k) => [k, `https://sqs/${k}`])),
      topicArns: Object.fromEntries(decl.topics.map((t) => [t.key, `arn:topic:${t.key}`])),
      bucketNames: Object.fromEntries(storage.buckets.map((b) => [b.key, `bucket-${b.key}`])),
      tableNames: Object.fromEntries(storage.tables.map((t) => [t.key, `table-${t.key}`])),
    };
    const aws = objectDetectionAwsConfig(deploy);
    expect(Object.values(aws).every((v) => typeof v === "string" && v.length > 0)).toBe(true);
  });
});

describe("registry declarations", () => {
  const v = defaultValues();
  test("Secret names come from the values, so chart and program agree", () => {
    const secrets = (id: string) => CHARTS.find((c) => c.id === id)!.secrets?.(v) ?? [];
    expect(secrets("grafana").map((s) => s.name)).toEqual([v.grafana.adminSecret.name]);
    expect(secrets("object-detection").map((s) => s.name)).toEqual([v.objectDetection.polybot.telegramSecret.name]);
    expect(secrets("dlstreamer").map((s) => s.name)).toEqual([v.dlstreamer.mosquitto.passwordSecret.name]);
  });

  test("every stack secret a Secret key takes is declared by its chart", () => {
    for (const entry of CHARTS) {
      const declared = (entry.stackSecrets ?? []).map((s) => s.key);
      const used = (entry.secrets?.(v) ?? []).flatMap((s) => Object.values(s.keys)).flatMap((k) => (k.generate.kind === "stackSecret" ? [k.generate.key] : []));
      for (const key of used) expect([entry.id, declared]).toEqual([entry.id, expect.arrayContaining([key])]);
    }
  });

  test("URLs and stack defaults", () => {
    const urls = Object.assign({}, ...CHARTS.map((c) => c.urls?.(v) ?? {}));
    expect(urls).toEqual({ grafanaUrl: `https://${v.grafana.host}`, botWebhookUrl: `https://${v.objectDetection.polybot.host}/telegram/webhook` });
    const dask = CHARTS.find((c) => c.id === "dask")!.stackDefaults!({ clusterName: "demo", region: "eu-west-1" });
    expect(dask).toEqual({ dask: { notebook: { passwordSecret: { name: GENERATED_NOTEBOOK_PASSWORD_SECRET } } } });
  });
});
