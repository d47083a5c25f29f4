/**
 * The `workloads` section of the stack configuration: bad input is reported with
 * the key (and never echoes the bot token), and the chart values get the stack's
 * settings as defaults under the user's own.
 */
import { parseConfig } from "../../../../infra/config";
import { DEFAULT_WORKLOAD_CHARTS, resolveWorkloadValues, stackValuesDocument } from "../../../../infra/config/workloads";

const base = { clusterName: "demo", apiAllowedCidrs: ["203.0.113.7/32"] };
const parse = (workloads: unknown) => parseConfig({ ...base, workloads }, { region: "eu-west-1" });
const problems = (workloads: unknown): string => {
  try {
    parse(workloads);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("workloads configuration", () => {
  it("defaults to the seed platform's applications, on", () => {
    const w = parse(undefined).workloads;
    expect(w).toMatchObject({ enabled: true, charts: [...DEFAULT_WORKLOAD_CHARTS], apiReadyTimeoutMinutes: 20, teardownTimeoutMinutes: 20 });
    expect(w.stackSecrets.telegramBotToken).toBeUndefined();
  });

  it.each([
    [{ enabled: "yes" }, "workloads.enabled"],
    [{ charts: "grafana" }, "workloads.charts"],
    [{ charts: ["grafana", "grafana"] }, "grafana repeats"],
    [{ charts: ["Grafana"] }, "workloads.charts[0]"],
    [{ values: "not a mapping" }, "workloads.values"],
    [{ values: { grafana: { replicas: 2, nope: 1 } } }, "workloads.values.grafana"],
    [{ apiReadyTimeoutMinutes: 0 }, "workloads.apiReadyTimeoutMinutes"],
    [{ teardownTimeoutMinutes: 600 }, "workloads.teardownTimeoutMinutes"],
    [{ chart: ["grafana"] }, "workloads.chart"],
  ])("rejects %j naming %s", (w, key) => {
    expect(problems(w)).toContain(key);
  });

  it("never prints the bot token, even when it is malformed", () => {
    const message = problems({ telegramBotToken: "12345:short-secret-value" });
    expect(message).toContain("workloads.telegramBotToken");
    expect(message).not.toContain("short-secret-value");
    expect(parse({ telegramBotToken: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_" }).workloads.stackSecrets.telegramBotToken).toMatch(/^123456789:/);
  });

  it("keeps the user's chart values over the stack's defaults", () => {
    const doc = stackValuesDocument({ fluentd: { cloudwatch: { region: "us-west-2" } } }, { clusterName: "demo", region: "eu-west-1", logGroupName: "/x/y" });
    expect(doc.fluentd).toEqual({ clusterName: "demo", cloudwatch: { region: "us-west-2", logGroupName: "/x/y" } });
    expect(doc.grafana).toEqual({ cloudwatch: { region: "eu-west-1" } });
  });

  it("needs a chart's own switch for the optional charts", () => {
    const w = parse({ charts: ["cluster-issuers", "dask"] }).workloads;
    const derived = { clusterName: "demo", region: "eu-west-1", chartSettings: {} };
    expect(() => resolveWorkloadValues(w, derived)).toThrow(/workloads\.values\.dask\.enabled/);
    const on = parse({ charts: ["cluster-issuers", "dask"], values: { dask: { enabled: true } } }).workloads;
    expect(resolveWorkloadValues(on, derived)?.dask.enabled).toBe(true);
    expect(resolveWorkloadValues(parse({ enabled: false }).workloads, derived)).toBeUndefined();
  });
});
