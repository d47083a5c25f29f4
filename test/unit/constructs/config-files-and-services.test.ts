import { Chart, Testing } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { ConfigFiles } from "../../../constructs/config-files";
import { HeadlessService } from "../../../constructs/headless-service";
import { Microservice } from "../../../constructs/microservice";
import { NodePortService } from "../../../constructs/node-port-service";
import { spreadOverNodes } from "../../../constructs/spread-over-nodes";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const chart = () => new Chart(Testing.app(), "test");
const find = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);

describe("ConfigFiles", () => {
  function deploymentWith(files: Record<string, string>): Obj[] {
    const c = chart();
    const config = new ConfigFiles(c, "Config", { name: "app-config", namespace: "demo", files });
    const d = new kplus.Deployment(c, "D", { metadata: { namespace: "demo" } });
    const container = d.addContainer({ name: "app", image: "team/app:1.0" });
    config.mount(container, "/etc/app");
    config.mountFile(container, "main.conf", "/usr/share/app/main.conf");
    config.rolloutOnChange(d);
    return Testing.synth(c) as Obj[];
  }

  test("serves the files from a ConfigMap mounted read-only, as a directory or a single file", () => {
    const objs = deploymentWith({ "main.conf": "a = 1\n", "extra.acl": "topic write #\n" });
    expect(find(objs, "ConfigMap")[0].data).toEqual({ "main.conf": "a = 1\n", "extra.acl": "topic write #\n" });
    const pod = find(objs, "Deployment")[0].spec.template.spec;
    expect(pod.volumes).toEqual([{ name: "app-config", configMap: { name: "app-config" } }]);
    expect(pod.containers[0].volumeMounts).toEqual([
      { mountPath: "/etc/app", name: "app-config", readOnly: true },
      { mountPath: "/usr/share/app/main.conf", name: "app-config", readOnly: true, subPath: "main.conf" },
    ]);
  });

  test("rolls the workload when, and only when, a file changes", () => {
    const checksum = (files: Record<string, string>) =>
      find(deploymentWith(files), "Deployment")[0].spec.template.metadata.annotations["checksum/app-config"];
    const base = checksum({ "main.conf": "a = 1\n" });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum({ "main.conf": "a = 1\n" })).toBe(base);
    expect(checksum({ "main.conf": "a = 2\n" })).not.toBe(base);
    expect(checksum({ "main.conf": "a = 1\n", "other.conf": "" })).not.toBe(base);
  });

  test("rejects bad names and paths", () => {
    expect(() => new ConfigFiles(chart(), "C", { name: "c", files: {} })).toThrow(/files: got none/);
    expect(() => new ConfigFiles(chart(), "C", { name: "c", files: { "../x": "" } })).toThrow(/got file name "..\/x"/);
    expect(() => new ConfigFiles(chart(), "C", { name: "Bad", files: { a: "" } })).toThrow(/ConfigFiles name: got "Bad"/);
    expect(() => new ConfigFiles(chart(), "C", { name: "c", files: { a: "" }, fileMode: 0o1777 })).toThrow(/fileMode: got 1023/);
    const c = chart();
    const files = new ConfigFiles(c, "C", { name: "c", files: { a: "" } });
    const container = new kplus.Deployment(c, "D").addContainer({ name: "x", image: "team/x:1.0" });
    expect(() => files.mountFile(container, "b", "/b")).toThrow(/mountFile: got "b"; allowed: one of a/);
    expect(() => files.mount(container, "relative")).toThrow(/mount directory: got "relative"/);
  });
});

describe("HeadlessService", () => {
  test("has no cluster IP, publishes ready pods only and names its ports for SRV records", () => {
    const c = chart();
    new HeadlessService(c, "H", { name: "workers", namespace: "demo", selector: { app: "worker" }, ports: [{ name: "http", port: 8080 }] });
    const svc = find(Testing.synth(c) as Obj[], "Service")[0];
    expect(svc.spec.clusterIP).toBe("None");
    expect(svc.spec.publishNotReadyAddresses).toBe(false);
    expect(svc.spec.selector).toEqual({ app: "worker" });
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: "http", port: 8080, targetPort: 8080 })]);
  });

  test("rejects what DNS discovery cannot work with", () => {
    const make = (props: Partial<ConstructorParameters<typeof HeadlessService>[2]>) => () =>
      new HeadlessService(chart(), "H", { name: "w", selector: { app: "w" }, ports: [{ name: "http", port: 80 }], ...props });
    expect(make({ ports: [] })).toThrow(/ports: got none/);
    expect(make({ selector: {} })).toThrow(/selector: got none/);
    expect(make({ ports: [{ name: "HTTP_PORT", port: 80 }] })).toThrow(/port name: got "HTTP_PORT"/);
  });
});

describe("NodePortService", () => {
  test("opens the fixed node port", () => {
    const c = chart();
    new NodePortService(c, "N", { name: "lb", selector: { app: "lb" }, ports: [{ name: "http", port: 8080, targetPort: 8080, nodePort: 31000 }] });
    const svc = find(Testing.synth(c) as Obj[], "Service")[0];
    expect(svc.spec.type).toBe("NodePort");
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: 8080, nodePort: 31000 })]);
  });

  test("rejects a node port outside the API server's range", () => {
    expect(
      () => new NodePortService(chart(), "N", { name: "lb", selector: { app: "lb" }, ports: [{ name: "http", port: 80, targetPort: 80, nodePort: 8080 }] }),
    ).toThrow(/nodePort http: got 8080; allowed: an integer from 30000 to 32767/);
  });
});

describe("spreadOverNodes", () => {
  test("adds one hostname spread constraint over the given pods", () => {
    const c = chart();
    const ms = new Microservice(c, "M", { name: "web", image: "team/web:1.0", replicas: 3, callers: [] });
    spreadOverNodes(ms.deployment, ms.selectorLabels, "DoNotSchedule");
    const pod = find(Testing.synth(c) as Obj[], "Deployment")[0].spec.template.spec;
    expect(pod.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { "app.kubernetes.io/name": "web" } },
        nodeTaintsPolicy: "Honor",
      },
    ]);
  });

  test("rejects an empty selector and unknown policies", () => {
    const ms = new Microservice(chart(), "M", { name: "web", image: "team/web:1.0", callers: [] });
    expect(() => spreadOverNodes(ms.deployment, {}, "DoNotSchedule")).toThrow(/podLabels: got none/);
    expect(() => spreadOverNodes(ms.deployment, ms.selectorLabels, "Sometimes" as "DoNotSchedule")).toThrow(/policy: got "Sometimes"/);
  });
});
