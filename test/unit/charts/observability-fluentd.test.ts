import { Testing } from "cdk8s";
import { FLUENTD_NAMES, FluentdChart } from "../../../charts/fluentd/chart";
import { BUFFER_DIR, FAILED_DIR, POSITION_FILE, renderFluentConf, STATE_DIR } from "../../../charts/fluentd/fluent-conf";
import { containerLogGroupName, DEFAULT_FLUENTD_IMAGES, FLUENTD_NAMESPACE } from "../../../charts/fluentd/values";
import { parseValues } from "../../../charts/values";
import { FluentSection, parseFluentConf, sectionsNamed } from "./fluent-conf-parser";
import { assertChartInvariants } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(raw: unknown = {}): Obj[] {
  return Testing.synth(new FluentdChart(Testing.app(), "f", { values: parseValues(raw) })) as Obj[];
}
const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const podOf = (objs: Obj[]) => one(objs, "DaemonSet", "fluentd").spec.template.spec;
const confOf = (objs: Obj[]) => parseFluentConf(one(objs, "ConfigMap", FLUENTD_NAMES.config).data["fluent.conf"]);
const only = (sections: FluentSection[]): FluentSection => {
  expect(sections).toHaveLength(1);
  return sections[0];
};

describe("the FluentD config checker", () => {
  test("rejects what FluentD rejects", () => {
    expect(() => parseFluentConf("<source>\n  @type tail\n</match>")).toThrow("closes <source>");
    expect(() => parseFluentConf("<source>\n  @type tail\n")).toThrow("never closed");
    expect(() => parseFluentConf("@type tail")).toThrow("outside any directive");
    expect(() => parseFluentConf("<source>\n  path a\n  path b\n</source>")).toThrow("set twice");
    expect(() => parseFluentConf("<buffer>\n</buffer>")).toThrow("not a top-level directive");
  });
});

describe("FluentdChart", () => {
  const objs = synth();
  const conf = confOf(objs);

  test("follows the chart invariants", () => {
    assertChartInvariants(objs);
  });

  test("runs the pinned cloudwatch image by default and the elasticsearch image when configured", () => {
    expect(podOf(objs).containers[0].image).toBe(DEFAULT_FLUENTD_IMAGES.cloudwatch);
    expect(DEFAULT_FLUENTD_IMAGES.cloudwatch).toMatch(/^fluent\/fluentd-kubernetes-daemonset:v[\d.]+-debian-cloudwatch-[\d.]+$/);
    const es = synth({ fluentd: { output: "elasticsearch", elasticsearch: { host: "es.example.com" } } });
    expect(podOf(es).containers[0].image).toBe(DEFAULT_FLUENTD_IMAGES.elasticsearch);
    expect(DEFAULT_FLUENTD_IMAGES.elasticsearch).not.toBe(DEFAULT_FLUENTD_IMAGES.cloudwatch);
  });

  test("tails /var/log/containers with the CRI parser and a position file on the host", () => {
    const tail = only(sectionsNamed(conf, "source").filter((s) => s.params["@type"] === "tail"));
    expect(tail.params.path).toBe("/var/log/containers/*.log");
    expect(tail.params.pos_file).toBe(POSITION_FILE);
    expect(POSITION_FILE.startsWith(`${STATE_DIR}/`)).toBe(true);
    expect(only(sectionsNamed(tail.sections, "parse")).params["@type"]).toBe("cri");
    // Its own logs are not read back.
    expect(tail.params.exclude_path).toContain(`_${FLUENTD_NAMESPACE}_fluentd-`);
  });

  test("adds Kubernetes metadata before shipping", () => {
    const filters = sectionsNamed(conf, "filter", "kubernetes.**").map((f) => f.params["@type"]);
    expect(filters).toContain("kubernetes_metadata");
    const match = only(sectionsNamed(conf, "match", "kubernetes.**"));
    expect(conf.indexOf(match)).toBeGreaterThan(conf.findIndex((s) => s.params["@type"] === "kubernetes_metadata"));
  });

  test("ships to the cluster's CloudWatch log group through a file buffer that rides out an outage", () => {
    const c = confOf(synth({ fluentd: { clusterName: "prod", cloudwatch: { region: "eu-west-1" } } }));
    const match = only(sectionsNamed(c, "match", "kubernetes.**"));
    expect(match.params).toMatchObject({
      "@type": "cloudwatch_logs",
      region: "eu-west-1",
      log_group_name: JSON.stringify(containerLogGroupName("prod")),
      auto_create_stream: "true",
    });
    const buffer = only(sectionsNamed(match.sections, "buffer"));
    expect(buffer.params).toMatchObject({
      "@type": "file",
      path: `${BUFFER_DIR}/cloudwatch`,
      overflow_action: "block",
      retry_type: "exponential_backoff",
      retry_timeout: "1h",
      flush_at_shutdown: "true",
    });
    expect(buffer.params.retry_forever).toBeUndefined();
    expect(only(sectionsNamed(match.sections, "secondary")).params.directory).toBe(FAILED_DIR);
  });

  test("ships to Elasticsearch or OpenSearch with credentials from a Secret", () => {
    for (const output of ["elasticsearch", "opensearch"]) {
      const objs2 = synth({
        fluentd: {
          output,
          elasticsearch: { host: "search.example.com", credentialsSecret: { name: "search-creds" } },
        },
      });
      const match = only(sectionsNamed(confOf(objs2), "match", "kubernetes.**"));
      expect(match.params).toMatchObject({ "@type": output, host: "search.example.com", port: "9200", scheme: "https" });
      expect(match.params.password).toBe(`"#{ENV['FLUENT_SEARCH_PASSWORD']}"`);
      const env: Obj[] = podOf(objs2).containers[0].env;
      expect(env.find((e) => e.name === "FLUENT_SEARCH_PASSWORD")?.valueFrom.secretKeyRef).toEqual({ name: "search-creds", key: "password" });
      expect(only(sectionsNamed(match.sections, "buffer")).params["@type"]).toBe("file");
    }
  });

  test("mounts the logs read-only and the state directory from the host", () => {
    const pod = podOf(objs);
    const mounts: Obj[] = pod.containers[0].volumeMounts;
    const mount = (name: string) => mounts.find((m) => m.name === name) as Obj;
    expect(mount("varlogcontainers")).toMatchObject({ mountPath: "/var/log/containers", readOnly: true });
    expect(mount("varlogpods")).toMatchObject({ mountPath: "/var/log/pods", readOnly: true });
    expect(mount("state").mountPath).toBe(STATE_DIR);
    expect(mount("state").readOnly).toBeFalsy();
    expect(mount("config")).toMatchObject({ mountPath: "/fluentd/etc", readOnly: true });
    const vol = (name: string) => pod.volumes.find((v: Obj) => v.name === name) as Obj;
    expect(vol("state").hostPath).toEqual({ path: STATE_DIR, type: "DirectoryOrCreate" });
    expect(vol("varlogpods").hostPath.path).toBe("/var/log/pods");
  });

  test("runs on every node, control plane included", () => {
    expect(podOf(objs).tolerations).toEqual([{ operator: "Exists" }]);
    expect(one(objs, "DaemonSet", "fluentd").spec.template.spec.nodeSelector).toBeUndefined();
  });

  test("may only read pods and namespaces", () => {
    const role = one(objs, "ClusterRole", "fluentd");
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list", "watch"] }]);
    expect(one(objs, "ClusterRoleBinding", "fluentd").subjects).toEqual([
      { kind: "ServiceAccount", name: "fluentd", namespace: FLUENTD_NAMESPACE },
    ]);
  });

  test("root without capabilities, no privilege escalation", () => {
    const sc = podOf(objs).containers[0].securityContext;
    expect(sc).toMatchObject({ runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(sc.privileged).toBeFalsy();
  });

  test("the rendered config is well-formed for every output", () => {
    for (const raw of [{}, { output: "elasticsearch", elasticsearch: { host: "h" } }, { output: "opensearch", elasticsearch: { host: "h" } }]) {
      const v = parseValues({ fluentd: raw }).fluentd;
      expect(() => parseFluentConf(renderFluentConf(v))).not.toThrow();
    }
  });
});
