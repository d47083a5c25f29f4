import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CHARTS, selectedCharts } from "../../../charts/registry";
import { synthCharts } from "../../../charts/synth";
import { defaultValues, parseValues } from "../../../charts/values";
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
    const aws = {
      region: "eu-west-1",
      jobsQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
      predictionEventsTopicArn: "arn:aws:sns:eu-west-1:123456789012:events",
      meteringQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/metering",
      modelAnalyzerQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/model-analyzer",
    };
    const od = CHARTS.filter((c) => c.id === "object-detection");
    const deployed = synthCharts(defaultValues(), od, { objectDetectionAws: aws })[0].yaml;
    expect(deployed).toContain("JOBS_QUEUE_URL: https://sqs.eu-west-1.amazonaws.com/123456789012/jobs");
    expect(deployed).not.toContain("SET-BY-PULUMI");
    expect(synthCharts(defaultValues(), od)[0].yaml).toContain("JOBS_QUEUE_URL: SET-BY-PULUMI-jobs-queue-url");
  });
});
