/**
 * What the program derives from the charts: the add-ons each chart's objects need,
 * the Secrets each chart references, and the mosquitto password file format.
 */
import { synthCharts } from "../../../../charts/synth";
import { CHARTS } from "../../../../charts/registry";
import { defaultValues, parseValues } from "../../../../charts/values";
import { GRAFANA_NAMESPACE } from "../../../../charts/grafana/values";
import { GENERATED_NOTEBOOK_PASSWORD_SECRET as DASK_PASSWORD_SECRET } from "../../../../charts/dask/values";
import { MQTT_USER, mosquittoPasswordLine } from "../../../../charts/dlstreamer/registration";
import { stackValuesDocument } from "../../../../infra/config/workloads";
import { workloadSecretSpecs } from "../../../../infra/cluster/workload-secrets";
import { requiredDependencies } from "../../../../infra/cluster/workloads";

describe("requiredDependencies", () => {
  const m = (kind: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind, metadata: { name: "x" }, ...extra });

  it("always needs the CNI and the cloud controller manager, and nothing more for plain pods", () => {
    expect(requiredDependencies([m("Deployment"), m("ConfigMap")])).toEqual(["calico", "cloudControllerManager"]);
  });

  it("maps Ingress, certificates, volume claims and HPAs to their add-ons", () => {
    const ingress = m("Ingress", { apiVersion: "networking.k8s.io/v1", metadata: { name: "i", annotations: { "cert-manager.io/cluster-issuer": "self-signed" } } });
    expect(requiredDependencies([ingress])).toEqual(["calico", "certManager", "cloudControllerManager", "clusterIssuers", "nginxIngress"]);
    expect(requiredDependencies([m("Certificate", { apiVersion: "cert-manager.io/v1" })])).toEqual(["calico", "certManager", "cloudControllerManager", "clusterIssuers"]);
    expect(requiredDependencies([m("PersistentVolumeClaim")])).toEqual(["calico", "cloudControllerManager", "ebsCsiDriver", "storageClass"]);
    expect(requiredDependencies([m("StatefulSet", { spec: { volumeClaimTemplates: [{}] } })])).toContain("storageClass");
    expect(requiredDependencies([m("StatefulSet", { spec: {} })])).not.toContain("storageClass");
    expect(requiredDependencies([m("HorizontalPodAutoscaler", { apiVersion: "autoscaling/v2" })])).toContain("metricsServer");
  });

  it("reads the registered charts as they synthesize", () => {
    const deps = Object.fromEntries(synthCharts(defaultValues()).map((c) => [c.id, requiredDependencies(c.manifests)]));
    expect(deps["grafana"]).toEqual(expect.arrayContaining(["nginxIngress", "certManager", "storageClass"]));
    expect(deps["object-detection"]).toEqual(expect.arrayContaining(["nginxIngress", "metricsServer"]));
    expect(deps["fluentd"]).toEqual(["calico", "cloudControllerManager"]);
  });
});

describe("workloadSecretSpecs", () => {
  it("names exactly the Secrets and keys the charts' pods read", () => {
    // Every chart switched on, with the defaults the stack adds (the Dask Secret's name).
    const v = parseValues(stackValuesDocument({ dask: { enabled: true }, gosty: { enabled: true } }, { clusterName: "demo", region: "eu-west-1" }));
    for (const entry of CHARTS) {
      const specs = workloadSecretSpecs(entry, v);
      const yaml = JSON.stringify(synthCharts(v, [entry])[0].manifests);
      for (const s of specs) {
        // The chart refers to the Secret by name (secretKeyRef or volume), and never contains it.
        expect([entry.id, yaml.includes(`"${s.name}"`)]).toEqual([entry.id, true]);
        expect(yaml).not.toMatch(new RegExp(`"kind":"Secret","metadata":\\{"name":"${s.name}"`));
      }
    }
    const entry = (id: string) => CHARTS.find((c) => c.id === id)!;
    const byChart = (id: string) => workloadSecretSpecs(entry(id), v).map((s) => `${s.namespace}/${s.name}: ${Object.keys(s.keys).sort().join(",")}`);
    expect(byChart("grafana")).toEqual([`${GRAFANA_NAMESPACE}/grafana-admin: admin-password,admin-user`]);
    expect(byChart("dask")).toEqual([`dask/${DASK_PASSWORD_SECRET}: password`]);
    expect(byChart("gosty").length).toBeGreaterThanOrEqual(2);
    expect(byChart("object-detection")).toEqual(["object-detection/polybot-telegram: token,webhook-secret"]);
    expect(workloadSecretSpecs(entry("object-detection"), v)[0].keys.token).toEqual({ kind: "stackSecret", key: "telegramBotToken" });
    expect(byChart("fluentd")).toEqual([]);
  });

  it("generates the mosquitto password file only when anonymous access is off", () => {
    const dlstreamer = CHARTS.find((c) => c.id === "dlstreamer")!;
    const withAuth = workloadSecretSpecs(dlstreamer, defaultValues());
    expect(withAuth).toHaveLength(1);
    const passwd = withAuth[0].keys.passwd;
    expect(passwd).toEqual({ kind: "derived", from: "password", saltBytes: 12, derive: expect.any(Function) });
    // The password file line is the MQTT user's, hashing the generated password.
    const salt = Buffer.alloc(12, 7);
    expect(passwd.kind === "derived" && passwd.derive("pw", salt)).toBe(mosquittoPasswordLine(MQTT_USER, "pw", salt));
    expect(withAuth[0].keys.username).toEqual({ kind: "fixed", value: MQTT_USER });
    expect(workloadSecretSpecs(dlstreamer, parseValues({ dlstreamer: { mosquitto: { allowAnonymous: true } } }))).toEqual([]);
  });
});

describe("workloadSecretSpecs on a malformed declaration", () => {
  it("rejects a key derived from a key the Secret does not have", () => {
    const entry = {
      ...CHARTS[0],
      secrets: () => [
        { namespace: "ns", name: "s", keys: { line: { description: "", generate: { kind: "derived" as const, from: "nope", saltBytes: 4, derive: (x: string) => x } } } },
      ],
    };
    expect(() => workloadSecretSpecs(entry, defaultValues())).toThrow("derives from nope, which is not a key of the Secret");
  });
});

describe("mosquittoPasswordLine", () => {
  // Written by `mosquitto_passwd -c -b pw alice s3cret` (mosquitto 2.0): the broker's own format.
  const FROM_MOSQUITTO_PASSWD =
    "alice:$7$101$qn7jsmLvMyKgnvNK$25QZoaliZNwyLmsrDnM1j7dPqo/127ClSk9UfnEUkmWjbNnsyv2W1RUJs38KNf+XK8WWcApezV6f+qWRs7PonQ==\n";

  it("reproduces mosquitto_passwd's line for the same salt", () => {
    const salt = Buffer.from("qn7jsmLvMyKgnvNK", "base64");
    expect(mosquittoPasswordLine("alice", "s3cret", salt)).toBe(FROM_MOSQUITTO_PASSWD);
    expect(mosquittoPasswordLine("alice", "S3cret", salt)).not.toBe(FROM_MOSQUITTO_PASSWD);
  });

  it("rejects a user name the file format cannot hold and a wrong salt size", () => {
    expect(() => mosquittoPasswordLine("a:b", "x", Buffer.alloc(12))).toThrow("without ':'");
    expect(() => mosquittoPasswordLine("a", "x", Buffer.alloc(8))).toThrow("12 bytes");
  });
});
