/**
 * Hands the Prometheus config, the alerting rules and every dashboard query to
 * a real promtool, built from the Prometheus release the chart runs
 * (test/tools/go/promtool pins github.com/prometheus/prometheus v0.311.3 =
 * Prometheus 3.11.3). Debian's promtool cannot be used: Debian builds it
 * without Kubernetes service discovery, so it rejects `kubernetes_sd_configs`.
 *
 * Beyond syntax, `promtool test rules` replays synthetic series through the
 * alerts and checks that each fires when it should and stays quiet otherwise.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing } from "cdk8s";
import { parse, stringify } from "yaml";
import type { PrometheusTarget } from "../../charts/grafana/dashboards/builder";
import { GrafanaChart } from "../../charts/grafana/chart";
import { PROMETHEUS_NAMES, PrometheusChart } from "../../charts/prometheus/chart";
import { ALERT } from "../../charts/prometheus/rules";
import { SERVICE_ACCOUNT_DIR } from "../../charts/prometheus/scrape-config";
import { defaultValues } from "../../charts/values";
import { substituteGrafanaVariables } from "../unit/charts/promql";
import { tool } from "./tool-paths";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(tool("PROMTOOL"), args, { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A throwaway CA certificate, so promtool can load the tls_config's ca_file. */
function selfSignedCa(): string {
  const key = path.join(dir, "ca.key");
  const cert = path.join(dir, "ca.pem");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test-ca", "-days", "1", "-keyout", key, "-out", cert], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return fs.readFileSync(cert, "utf8");
}

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === "string" ? content : stringify(content, { lineWidth: 0 }));
  return file;
}

const values = defaultValues();
const manifests = Testing.synth(new PrometheusChart(Testing.app(), "p", { values })) as Obj[];
const configMap = (name: string) => manifests.find((o) => o.kind === "ConfigMap" && o.metadata.name === name) as Obj;
const configText: string = configMap(PROMETHEUS_NAMES.config).data["prometheus.yml"];
const rulesText: string = configMap(PROMETHEUS_NAMES.rules).data["alerts.yml"];

describe("promtool", () => {
  const rulesFile = write("alerts.yml", rulesText);

  test("accepts the Prometheus config from the ConfigMap, with its rule files", () => {
    // promtool checks that referenced files exist: stand in for the pod's
    // ServiceAccount mount with a token and the cluster CA certificate.
    const sa = path.join(dir, "serviceaccount");
    fs.mkdirSync(sa, { recursive: true });
    fs.writeFileSync(path.join(sa, "token"), "test-token\n");
    fs.writeFileSync(path.join(sa, "ca.crt"), selfSignedCa());
    const config = parse(configText.split(SERVICE_ACCOUNT_DIR).join(sa));
    expect(JSON.stringify(config)).toContain(sa);
    // Point rule_files at the rendered rules so `check config` checks them too.
    config.rule_files = [rulesFile];
    const r = promtool("check", "config", write("prometheus.yml", config));
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  test("rejects a broken config (the check is real)", () => {
    const config = parse(configText);
    config.scrape_configs[1].relabel_configs = [{ action: "kepe", source_labels: ["a"], regex: "b" }];
    const r = promtool("check", "config", write("broken.yml", config));
    expect(r.output).toContain("kepe");
    expect(r.status).not.toBe(0);
  });

  test("accepts the alerting rules", () => {
    const r = promtool("check", "rules", rulesFile);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  test("every dashboard query is valid PromQL", () => {
    const grafana = new GrafanaChart(Testing.app(), "g", { values });
    const rules = Object.entries(grafana.dashboards).flatMap(([file, d]) =>
      d.panels.flatMap((p) =>
        p.targets
          .filter((t) => t.datasource.type === "prometheus")
          .map((t, i) => ({
            record: `dashboard:${file.replace(/\W/g, "_")}:${p.id}_${i}`,
            expr: substituteGrafanaVariables((t as PrometheusTarget).expr),
          })),
      ),
    );
    expect(rules.length).toBeGreaterThan(30);
    const r = promtool("check", "rules", write("dashboards.yml", { groups: [{ name: "dashboards", rules }] }));
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  test("each alert fires on the condition it describes, and not otherwise", () => {
    const day = 86400;
    const tests = {
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // yolo5 sits at its maximum of 5 replicas for 30 minutes; metering is below its max.
            { series: 'kube_horizontalpodautoscaler_status_current_replicas{namespace="od",horizontalpodautoscaler="yolo5"}', values: "5x30" },
            { series: 'kube_horizontalpodautoscaler_spec_max_replicas{namespace="od",horizontalpodautoscaler="yolo5"}', values: "5x30" },
            { series: 'kube_horizontalpodautoscaler_status_current_replicas{namespace="od",horizontalpodautoscaler="metering"}', values: "2x30" },
            { series: 'kube_horizontalpodautoscaler_spec_max_replicas{namespace="od",horizontalpodautoscaler="metering"}', values: "4x30" },
            // One certificate expires in 5 days, one in 60 days, one is not issued yet (0).
            { series: 'certmanager_certificate_expiration_timestamp_seconds{namespace="od",name="soon"}', values: `${5 * day}x30` },
            { series: 'certmanager_certificate_expiration_timestamp_seconds{namespace="od",name="later"}', values: `${60 * day}x30` },
            { series: 'certmanager_certificate_expiration_timestamp_seconds{namespace="od",name="pending"}', values: "0x30" },
            { series: 'kube_node_status_condition{node="n1",condition="Ready",status="true"}', values: "0x30" },
            { series: 'kube_node_status_condition{node="n2",condition="Ready",status="true"}', values: "1x30" },
            { series: 'up{job="node-exporter",instance="n1"}', values: "0x30" },
            { series: 'up{job="node-exporter",instance="n2"}', values: "1x30" },
            { series: 'kube_pod_container_status_waiting_reason{namespace="od",pod="p1",container="c",reason="CrashLoopBackOff"}', values: "1x30" },
            { series: 'kubelet_volume_stats_available_bytes{namespace="grafana",persistentvolumeclaim="grafana-data"}', values: "100x30" },
            { series: 'kubelet_volume_stats_capacity_bytes{namespace="grafana",persistentvolumeclaim="grafana-data"}', values: "2000x30" },
          ],
          alert_rule_test: [
            // The HPA alert waits 15 minutes.
            { eval_time: "10m", alertname: ALERT.hpaAtMax, exp_alerts: [] },
            {
              eval_time: "20m",
              alertname: ALERT.hpaAtMax,
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "od", horizontalpodautoscaler: "yolo5" },
                  exp_annotations: {
                    summary: "HPA od/yolo5 is at its maximum",
                    description: "od/yolo5 has run at its maximum replica count for 15 minutes; raise the maximum or add capacity.",
                  },
                },
              ],
            },
            {
              eval_time: "20m",
              alertname: ALERT.certificateExpiring,
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "od", name: "soon" },
                  exp_annotations: {
                    summary: "Certificate od/soon expires within 10 days",
                    description: "cert-manager has not renewed od/soon; it expires in 4d 23h 40m 0s.",
                  },
                },
              ],
            },
            {
              eval_time: "10m",
              alertname: ALERT.nodeNotReady,
              exp_alerts: [
                {
                  exp_labels: { severity: "critical", node: "n1", condition: "Ready", status: "true" },
                  exp_annotations: {
                    summary: "Node n1 is not ready",
                    description: "Node n1 has not reported Ready for 5 minutes; its pods are not being served.",
                  },
                },
              ],
            },
            {
              eval_time: "10m",
              alertname: ALERT.targetDown,
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", job: "node-exporter", instance: "n1" },
                  exp_annotations: {
                    summary: "Scrape target node-exporter/n1 is down",
                    description: "Prometheus has failed to scrape n1 (job node-exporter) for 5 minutes.",
                  },
                },
              ],
            },
            {
              eval_time: "20m",
              alertname: ALERT.podCrashLooping,
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "od", pod: "p1", container: "c", reason: "CrashLoopBackOff" },
                  exp_annotations: {
                    summary: "Pod od/p1 is crash-looping",
                    description: "Container c of od/p1 has been in CrashLoopBackOff for 10 minutes.",
                  },
                },
              ],
            },
            {
              eval_time: "10m",
              alertname: ALERT.volumeNearlyFull,
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "grafana", persistentvolumeclaim: "grafana-data" },
                  exp_annotations: {
                    summary: "Volume grafana/grafana-data is nearly full",
                    description: "Less than 10% of grafana/grafana-data is free (5% left).",
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const r = promtool("test", "rules", write("alerts.test.yml", tests));
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  test("the etcd backup alerts fire when snapshots stop or fail, or were never recorded", () => {
    // etcd-backup.sh's textfile metrics: hourly uploads at 0, 1 h and 2 h, then the
    // 3 h attempt fails and nothing succeeds again (node-exporter keeps exporting the file).
    const cp = '{job="node-exporter",instance="cp"}';
    const missing = {
      exp_labels: { severity: "critical", job: "node-exporter", instance: "cp" },
      exp_annotations: {
        summary: "No etcd snapshot has reached the backup bucket recently",
        description:
          "The last successful etcd snapshot is older than two backup intervals (or no backup run was ever recorded): a control-plane replacement would restore old data. Check `journalctl -u etcd-backup` on the control plane.",
      },
    };
    const tests = {
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "5m",
          input_series: [
            { series: `etcd_backup_last_success_timestamp_seconds${cp}`, values: "0x11 3600x11 7200x40" },
            { series: `etcd_backup_last_attempt_timestamp_seconds${cp}`, values: "0x11 3600x11 7200x11 10800x28" },
            { series: `etcd_backup_last_attempt_success${cp}`, values: "1x35 0x27" },
            { series: `etcd_backup_interval_seconds${cp}`, values: "3600x62" },
          ],
          alert_rule_test: [
            { eval_time: "170m", alertname: ALERT.etcdBackupFailed, exp_alerts: [] },
            {
              eval_time: "200m",
              alertname: ALERT.etcdBackupFailed,
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", job: "node-exporter", instance: "cp" },
                  exp_annotations: {
                    summary: "The last etcd snapshot attempt failed",
                    description:
                      "etcd-backup.sh could not save or upload a snapshot; the timer retries at the next interval. Check `journalctl -u etcd-backup` on the control plane.",
                  },
                },
              ],
            },
            // Two intervals and a quarter of an hour after the last upload (2 h + 2 h 15 min), plus 15 min pending.
            { eval_time: "120m", alertname: ALERT.etcdBackupMissing, exp_alerts: [] },
            { eval_time: "260m", alertname: ALERT.etcdBackupMissing, exp_alerts: [] },
            { eval_time: "285m", alertname: ALERT.etcdBackupMissing, exp_alerts: [missing] },
          ],
        },
        {
          // No backup was ever recorded (the timer never ran, or node-exporter cannot see the file).
          interval: "5m",
          input_series: [{ series: `up${cp}`, values: "1x20" }],
          alert_rule_test: [
            { eval_time: "10m", alertname: ALERT.etcdBackupMissing, exp_alerts: [] },
            { eval_time: "30m", alertname: ALERT.etcdBackupMissing, exp_alerts: [{ ...missing, exp_labels: { severity: "critical" } }] },
          ],
        },
      ],
    };
    const r = promtool("test", "rules", write("backup-alerts.test.yml", tests));
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});
