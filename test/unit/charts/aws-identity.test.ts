/**
 * Every manifest: the pods whose service account has a role (a registry entry's
 * `platformAwsAccess`) mount a projected token for STS and carry the role's ARN when
 * deployed; no pod gets AWS credentials otherwise (the node's role is not theirs); and
 * host networking, which reaches the node's instance metadata, only where listed.
 */
import { CHARTS, selectedCharts } from "../../../charts/registry";
import { synthCharts } from "../../../charts/synth";
import { defaultValues } from "../../../charts/values";
import { STS_AUDIENCE, WEB_IDENTITY_TOKEN_FILE } from "../../../lib/aws-web-identity";
import { Validator } from "../../../lib/validate";

interface Pod {
  serviceAccountName?: string;
  hostNetwork?: boolean;
  volumes?: { name: string; projected?: { sources: { serviceAccountToken?: { audience: string } }[] } }[];
  containers: { name: string; env?: { name: string; value?: string }[]; volumeMounts?: { name: string; mountPath: string }[] }[];
}
type Manifest = { kind: string; metadata: { name: string; namespace?: string }; spec?: { template?: { spec?: Pod } } };

/** The host-network pods, each with why (README "Who holds which AWS permissions"). */
const HOST_NETWORK = { "node-exporter": "reads the host's network interface statistics; calls no AWS API" };

const values = defaultValues();
const pods = (manifests: readonly unknown[]) =>
  (manifests as Manifest[]).filter((m) => m.spec?.template?.spec).map((m) => ({ m, pod: m.spec!.template!.spec! }));
/** A Validator over an empty stack configuration: every setting at its default. */
function noStackSettings(): Validator {
  return new Validator({}, "");
}
const roleArn = (sa: string) => `arn:aws:iam::123456789012:role/demo-sa-${sa}`;

describe("AWS identity of the charts' pods", () => {
  const withRoles = CHARTS.filter((c) => (c.platformAwsAccess?.(values) ?? []).length > 0);

  it("FluentD and Grafana declare their own access", () => {
    expect(withRoles.map((c) => c.id).sort()).toEqual(["fluentd", "grafana"]);
  });

  it.each(withRoles.map((c) => [c.id, c] as const))("%s: each pod of a service account with a role mounts an STS token and names the role", (_id, entry) => {
    const accounts = entry.platformAwsAccess!(values).map((a) => a.serviceAccount);
    const deploy = { region: "us-east-1", queueUrls: {}, topicArns: {}, roleArns: Object.fromEntries(accounts.map((sa) => [sa, roleArn(sa)])) };
    const [chart] = synthCharts(values, [entry], deploy);
    const withSa = pods(chart.manifests).filter(({ pod }) => accounts.includes(pod.serviceAccountName ?? ""));
    expect(withSa.length).toBeGreaterThan(0);
    for (const { pod } of withSa) {
      const token = pod.volumes?.find((v) => v.projected?.sources.some((s) => s.serviceAccountToken?.audience === STS_AUDIENCE));
      expect(token).toBeDefined();
      const main = pod.containers[0];
      expect(main.env).toEqual(
        expect.arrayContaining([
          { name: "AWS_ROLE_ARN", value: roleArn(pod.serviceAccountName!) },
          { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: WEB_IDENTITY_TOKEN_FILE },
        ]),
      );
      expect(main.volumeMounts?.some((m) => m.name === token!.name && WEB_IDENTITY_TOKEN_FILE.startsWith(m.mountPath))).toBe(true);
    }
  });

  const declaring = CHARTS.filter((c) => c.aws?.access);
  it.each(declaring.map((c) => [c.id, c] as const))("%s: each service that declares AWS access mounts an STS token and names its own role", (_id, entry) => {
    const accounts = entry.aws!.access!(entry.aws!.parse(noStackSettings())).map((a) => a.serviceAccount);
    expect(accounts.length).toBeGreaterThan(0);
    const deploy = { region: "us-east-1", queueUrls: {}, topicArns: {}, roleArns: Object.fromEntries(accounts.map((sa) => [sa, roleArn(sa)])) };
    const [chart] = synthCharts(values, [entry], deploy);
    for (const sa of accounts) {
      const withSa = pods(chart.manifests).filter(({ pod }) => pod.serviceAccountName === sa);
      expect(withSa.length).toBeGreaterThan(0);
      for (const { pod } of withSa) {
        expect(pod.volumes?.some((v) => v.projected?.sources.some((s) => s.serviceAccountToken?.audience === STS_AUDIENCE))).toBe(true);
        expect(pod.containers[0].env).toEqual(expect.arrayContaining([{ name: "AWS_ROLE_ARN", value: roleArn(sa) }]));
      }
    }
  });

  it("without a deploy context (npm run synth) no pod carries AWS credentials or a static key", () => {
    for (const chart of synthCharts(values, selectedCharts(values))) {
      for (const { m, pod } of pods(chart.manifests)) {
        const names = pod.containers.flatMap((c) => (c.env ?? []).map((e) => e.name));
        expect({ pod: m.metadata.name, aws: names.filter((n) => /^AWS_(ROLE_ARN|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(n)) }).toEqual({ pod: m.metadata.name, aws: [] });
      }
    }
  });

  it("host networking only on the listed components", () => {
    const hostNetwork = synthCharts(values, selectedCharts(values)).flatMap((c) => pods(c.manifests).filter(({ pod }) => pod.hostNetwork).map(({ m }) => m.metadata.name));
    expect(hostNetwork.sort()).toEqual(Object.keys(HOST_NETWORK).sort());
  });
});
