import { ConfigError } from "../../../lib/validate";
import { defaultValues, parseValues } from "../../../charts/values";
import { containerLogGroupName } from "../../../charts/fluentd/values";

function problems(raw: unknown): string[] {
  try {
    parseValues(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.key);
    throw e;
  }
  return [];
}

describe("observability values", () => {
  test("defaults: CloudWatch logging, 2Gi Grafana volume, 20Gi Prometheus volume on the platform class", () => {
    const v = defaultValues();
    expect(v.fluentd.output).toBe("cloudwatch");
    expect(v.fluentd.cloudwatch.logGroupName).toBe(containerLogGroupName("platform"));
    expect(v.grafana.storage).toEqual({ size: "2Gi", storageClass: "ebs-gp3" });
    expect(v.prometheus.storage).toEqual({ size: "20Gi", storageClass: "ebs-gp3" });
    expect(v.prometheus.retentionSize).toBe("17GB");
    expect(v.grafana.host).toBe("grafana.apps.example.com");
  });

  test("the global storage class and registry flow into the sections", () => {
    const v = parseValues({ global: { storageClass: "standard", imageRegistry: "mirror.example.com" } });
    expect(v.grafana.storage.storageClass).toBe("standard");
    expect(v.prometheus.storage.storageClass).toBe("standard");
    expect(v.grafana.image).toBe("mirror.example.com/grafana/grafana:12.4.4");
    // References that already name a registry are left alone.
    expect(v.prometheus.images.prometheus.startsWith("quay.io/")).toBe(true);
  });

  test.each([
    [{ prometheus: { retention: "15 days" } }, "prometheus.retention"],
    [{ prometheus: { storage: { size: "20GB" } } }, "prometheus.storage.size"],
    [{ prometheus: { images: { prometheus: "quay.io/prometheus/prometheus:latest" } } }, "prometheus.images.prometheus"],
    [{ prometheus: { alerts: { certificateExpiryDays: 0 } } }, "prometheus.alerts.certificateExpiryDays"],
    [{ prometheus: { ingressController: { metricsPort: 70000 } } }, "prometheus.ingressController.metricsPort"],
    [{ prometheus: { externalLabels: { "bad-label": "x" } } }, 'prometheus.externalLabels["bad-label"]'],
    [{ prometheus: { scrapeinterval: "30s" } }, "prometheus.scrapeinterval"],
    [{ grafana: { storage: { size: "512Mi" } } }, "grafana.storage.size"],
    [{ grafana: { host: "Grafana" } }, "grafana.host"],
    [{ grafana: { cloudwatch: { region: "europe" } } }, "grafana.cloudwatch.region"],
    [{ grafana: { sqs: { queueNames: ["bad name"] } } }, "grafana.sqs.queueNames[0]"],
    [{ grafana: { sqs: { queueNamePattern: "([" } } }, "grafana.sqs.queueNamePattern"],
    [{ grafana: { adminSecret: { name: "Admin_Secret" } } }, "grafana.adminSecret.name"],
    [{ fluentd: { output: "loki" } }, "fluentd.output"],
    [{ fluentd: { output: "elasticsearch" } }, "fluentd.elasticsearch.host"],
    [{ fluentd: { elasticsearch: { host: "es" } } }, "fluentd.elasticsearch"],
    [{ fluentd: { buffer: { retryTimeout: "forever" } } }, "fluentd.buffer.retryTimeout"],
    [{ fluentd: { cloudwatch: { logGroupName: "has space" } } }, "fluentd.cloudwatch.logGroupName"],
  ])("rejects %j naming %s", (raw, key) => {
    expect(problems(raw)).toContain(key);
  });

  test("the error message names the key, the bad value and what is allowed", () => {
    expect(() => parseValues({ fluentd: { output: "loki" } })).toThrow(
      /fluentd\.output: got "loki"; allowed: one of "cloudwatch", "elasticsearch", "opensearch"/,
    );
  });
});
