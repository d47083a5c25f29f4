/**
 * The components of the dlstreamer chart on their own, with props the values
 * never set, and the wiring the chart adds between them.
 */
import { Testing } from "cdk8s";
import { DlstreamerChart } from "../../../charts/dlstreamer/chart";
import { Haproxy } from "../../../charts/dlstreamer/haproxy";
import { Mosquitto } from "../../../charts/dlstreamer/mosquitto";
import { PipelineServers } from "../../../charts/dlstreamer/pipeline-servers";
import { PipelineStatus } from "../../../charts/dlstreamer/pipeline-status";
import { parseValues } from "../../../charts/values";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const values = parseValues({}).dlstreamer;
const base = { namespace: "media", partOf: "video" };

const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const env = (c: Obj): Record<string, string> => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value]));

describe("PipelineServers", () => {
  const chart = Testing.chart();
  const servers = new PipelineServers(chart, "Servers", {
    ...base,
    values: values.pipelineServer,
    modelFetcherImage: "registry.example.com/curl:8.17.0",
    mqtt: { host: "broker.media.svc", port: 11884 },
  });
  const objs = Testing.synth(chart) as Obj[];
  const pod = one(objs, "Deployment", "pipeline-server").spec.template.spec;

  test("point the default MQTT publisher at the given broker and fetch the model with the given image", () => {
    expect(env(pod.containers[0])).toEqual(expect.objectContaining({ MQTT_HOST: "broker.media.svc", MQTT_PORT: "11884" }));
    expect(pod.initContainers[0].image).toBe("registry.example.com/curl:8.17.0");
  });

  test("put every object in the given namespace with the given part-of label", () => {
    for (const o of objs) {
      expect(o.metadata.namespace).toBe("media");
      expect(o.metadata.labels["app.kubernetes.io/part-of"]).toBe("video");
    }
    expect(one(objs, "Service", "pipeline-server").spec.selector).toEqual(servers.selectorLabels);
  });
});

describe("Haproxy", () => {
  test("balances over the backend it is given", () => {
    const chart = Testing.chart();
    const haproxy = new Haproxy(chart, "Haproxy", {
      ...base,
      values: values.haproxy,
      backend: { serviceFqdn: "inference.media.svc.example.internal", portName: "api", healthCheckPath: "/v1/health" },
    });
    const objs = Testing.synth(chart) as Obj[];
    const cfg = one(objs, "ConfigMap", "haproxy-config").data["haproxy.cfg"];
    expect(cfg).toMatch(/^ {2}server-template pipeline-server 16 _api\._tcp\.inference\.media\.svc\.example\.internal$/m);
    expect(cfg).toMatch(/^ {2}http-check send meth GET uri \/v1\/health$/m);
    expect(one(objs, "Service", "haproxy").spec.selector).toEqual(haproxy.selectorLabels);
  });
});

describe("Mosquitto", () => {
  const make = (persistentVolumeSize?: string) => {
    const chart = Testing.chart();
    const mosquitto = new Mosquitto(chart, "Mosquitto", {
      ...base,
      values: { ...values.mosquitto, persistentVolumeSize },
      storageClass: "local-nvme",
      publisherClients: { "app.kubernetes.io/name": "camera-gateway" },
    });
    return { mosquitto, objs: Testing.synth(chart) as Obj[] };
  };

  test("lets only the given publisher clients reach the anonymous listener", () => {
    const { mosquitto, objs } = make();
    const policy = one(objs, "NetworkPolicy", "mosquitto-callers");
    expect(policy.spec.ingress[0]).toEqual({
      from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "camera-gateway" } } }],
      ports: [{ protocol: "TCP", port: 1884 }],
    });
    expect(policy.spec.podSelector.matchLabels).toEqual(mosquitto.selectorLabels);
    expect(one(objs, "Service", "mosquitto-publisher").spec.selector).toEqual(mosquitto.selectorLabels);
  });

  test("claims its persistence volume from the given StorageClass", () => {
    const { objs } = make("3Gi");
    expect(one(objs, "PersistentVolumeClaim", "mosquitto-data").spec).toEqual(
      expect.objectContaining({ storageClassName: "local-nvme", resources: { requests: { storage: "3Gi" } } }),
    );
  });
});

describe("PipelineStatus", () => {
  test("asks the given Service on the given port, from pods its selector labels match", () => {
    const chart = Testing.chart();
    const status = new PipelineStatus(chart, "Status", {
      ...base,
      image: "registry.example.com/curl:8.17.0",
      serviceFqdn: "inference.media.svc.cluster.local",
      port: 9090,
    });
    const pod = one(Testing.synth(chart) as Obj[], "CronJob", "pipeline-status").spec.jobTemplate.spec.template;
    expect(env(pod.spec.containers[0])).toEqual({ PIPELINE_SERVICE: "inference.media.svc.cluster.local", PIPELINE_PORT: "9090" });
    expect(pod.spec.containers[0].image).toBe("registry.example.com/curl:8.17.0");
    expect(pod.metadata.labels).toEqual(expect.objectContaining(status.selectorLabels));
  });
});

describe("DlstreamerChart wiring", () => {
  const synth = (clusterDomain?: string) => {
    const v = parseValues({});
    return Testing.synth(new DlstreamerChart(Testing.app(), "dlstreamer", { global: v.global, dlstreamer: v.dlstreamer, clusterDomain })) as Obj[];
  };

  test("names every Service with the cluster domain it is given", () => {
    const objs = synth("k8s.internal");
    const ps = one(objs, "Deployment", "pipeline-server").spec.template.spec.containers[0];
    expect(env(ps).MQTT_HOST).toBe("mosquitto-publisher.dlstreamer.svc.k8s.internal");
    expect(one(objs, "ConfigMap", "haproxy-config").data["haproxy.cfg"]).toContain("_http._tcp.pipeline-server.dlstreamer.svc.k8s.internal");
    const status = one(objs, "CronJob", "pipeline-status").spec.jobTemplate.spec.template.spec.containers[0];
    expect(env(status).PIPELINE_SERVICE).toBe("pipeline-server.dlstreamer.svc.k8s.internal");
  });

  test("keeps the pods' construct-address labels of the chart before it was split into components", () => {
    // A changed label would roll every pod on the next deploy for nothing.
    const objs = synth();
    const addr = (kind: string, name: string) => {
      const o = one(objs, kind, name);
      const template = kind === "CronJob" ? o.spec.jobTemplate.spec.template : o.spec.template;
      return template.metadata.labels["cdk8s.io/metadata.addr"];
    };
    expect(addr("Deployment", "pipeline-server")).toBe("dlstreamer-PipelineServer-Deployment-c874aa4c");
    expect(addr("Deployment", "haproxy")).toBe("dlstreamer-Haproxy-Deployment-c87a980f");
    expect(addr("Deployment", "mosquitto")).toBe("dlstreamer-Mosquitto-c878d08e");
    expect(addr("CronJob", "pipeline-status")).toBe("dlstreamer-PipelineStatus-c858f851");
  });
});
