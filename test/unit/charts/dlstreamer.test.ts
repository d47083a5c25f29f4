/**
 * The dlstreamer chart and the configuration files it renders. The rendered
 * haproxy.cfg, mosquitto.conf and config.json are golden files
 * (test/golden/dlstreamer/, UPDATE_GOLDEN=1 rewrites them), so a pull request
 * shows exactly what changes on the pods; test/tools/ hands the same files to
 * real haproxy and mosquitto.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdk8s";
import { DlstreamerChart } from "../../../charts/dlstreamer/chart";
import { haproxyConfigProblems, renderHaproxyConfig } from "../../../charts/dlstreamer/haproxy-config";
import { mosquittoConfigProblems, renderMosquittoConfig } from "../../../charts/dlstreamer/mosquitto-config";
import { DLSTREAMER_NAMES } from "../../../charts/dlstreamer/names";
import { modelXmlPath, PERSON_VEHICLE_BIKE_MODEL, SAMPLE_PIPELINE } from "../../../charts/dlstreamer/pipeline-server-config";
import { DEFAULT_DLSTREAMER_IMAGES, DLSTREAMER_NAMESPACE } from "../../../charts/dlstreamer/values";
import { parseValues } from "../../../charts/values";
import { ConfigError } from "../../../lib/validate";
import { assertChartInvariants } from "./invariants";
import { goldenIn } from "../support/golden";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any


const expectGolden = goldenIn("dlstreamer");

function synth(dlstreamer: unknown = {}, global: unknown = {}): Obj[] {
  const values = parseValues({ global, dlstreamer });
  const chart = new DlstreamerChart(Testing.app(), "dls", { global: values.global, dlstreamer: values.dlstreamer });
  return Testing.synth(chart) as Obj[];
}

const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const podSpec = (objs: Obj[], name: string) => one(objs, "Deployment", name).spec.template.spec;
const container = (objs: Obj[], name: string) => podSpec(objs, name).containers[0];
const configFile = (objs: Obj[], configMap: string, file: string): string => one(objs, "ConfigMap", configMap).data[file];

function parseError(dlstreamer: unknown): string {
  try {
    parseValues({ dlstreamer });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected the values to be rejected");
}

describe("DlstreamerChart", () => {
  const objs = synth();
  const haproxyCfg = configFile(objs, "haproxy-config", "haproxy.cfg");
  const mosquittoConf = configFile(objs, "mosquitto-config", "mosquitto.conf");

  test("follows the chart invariants", () => {
    assertChartInvariants(objs);
  });

  test("lives in its own namespace with restricted Pod Security", () => {
    expect(one(objs, "Namespace", DLSTREAMER_NAMESPACE).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const o of objs.filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace).toBe(DLSTREAMER_NAMESPACE);
  });

  describe("pipeline servers", () => {
    const c = container(objs, DLSTREAMER_NAMES.pipelineServer);

    test("run the pinned Intel image with the REST API on 8080, probed on /pipelines", () => {
      expect(c.image).toBe(DEFAULT_DLSTREAMER_IMAGES.pipelineServer);
      expect(c.image).toMatch(/^intel\/dlstreamer-pipeline-server:\d{4}\.\d+\.\d+-ubuntu\d+$/);
      expect(c.ports).toEqual([{ containerPort: 8080, name: "http" }]);
      expect(c.env).toContainEqual({ name: "REST_SERVER_PORT", value: "8080" });
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        expect(probe.httpGet).toEqual(expect.objectContaining({ path: "/pipelines", port: 8080 }));
      }
      // A restart kills running pipelines: two minutes without an answer before it.
      expect(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold).toBe(120);
      expect(c.livenessProbe.timeoutSeconds).toBe(10);
    });

    test("default to one replica per worker node, spread over distinct nodes", () => {
      const d = one(objs, "Deployment", DLSTREAMER_NAMES.pipelineServer);
      expect(d.spec.replicas).toBe(2);
      expect(d.spec.template.spec.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "DoNotSchedule",
          nodeTaintsPolicy: "Honor",
          labelSelector: { matchLabels: { "app.kubernetes.io/name": "pipeline-server" } },
        },
      ]);
      const five = synth({ pipelineServer: { workerNodes: 5 } });
      expect(one(five, "Deployment", DLSTREAMER_NAMES.pipelineServer).spec.replicas).toBe(5);
      const soft = synth({ pipelineServer: { replicas: 3, spread: "ScheduleAnyway" } });
      const softSpec = one(soft, "Deployment", DLSTREAMER_NAMES.pipelineServer).spec;
      expect(softSpec.replicas).toBe(3);
      expect(softSpec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable).toBe("ScheduleAnyway");
    });

    test("can be autoscaled instead, with HAProxy slots covering the maximum", () => {
      const o = synth({ pipelineServer: { autoscaling: { minReplicas: 2, maxReplicas: 40, cpuUtilization: 75 } } });
      const hpa = one(o, "HorizontalPodAutoscaler", DLSTREAMER_NAMES.pipelineServer);
      expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 40]);
      expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(75);
      expect(one(o, "Deployment", DLSTREAMER_NAMES.pipelineServer).spec.replicas).toBeUndefined();
      expect(configFile(o, "haproxy-config", "haproxy.cfg")).toMatch(/^ {2}server-template pipeline-server 40 /m);
      assertChartInvariants(o);
    });

    test("run as the image's non-root user with a read-only root filesystem and writable scratch volumes", () => {
      expect(c.securityContext).toEqual(expect.objectContaining({ runAsUser: 1999, runAsNonRoot: true, readOnlyRootFilesystem: true }));
      const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m]));
      // HOME is /home/intelmicroserviceuser (the image's useradd -m), not the working directory.
      for (const dir of ["/tmp", "/var/tmp", "/var/cache/pipeline_root", "/home/intelmicroserviceuser/.cache"]) expect(mounts[dir]).toBeDefined();
      expect(mounts["/home/pipeline-server/config.json"]).toEqual(expect.objectContaining({ subPath: "config.json", readOnly: true }));
      const writable = container(synth({ pipelineServer: { writableRootFilesystem: true } }), DLSTREAMER_NAMES.pipelineServer);
      expect(writable.securityContext).toEqual(expect.objectContaining({ readOnlyRootFilesystem: false, runAsNonRoot: true }));
    });

    test("load the sample pipeline, whose model an init container fetches into a shared volume", () => {
      const config = JSON.parse(configFile(objs, "pipeline-server-config", "config.json"));
      const pipeline = config.config.pipelines[0];
      expect(pipeline.name).toBe(SAMPLE_PIPELINE);
      expect(pipeline.pipeline).toContain(`gvadetect model=${modelXmlPath(PERSON_VEHICLE_BIKE_MODEL)} name=detection`);
      expect(pipeline.pipeline).toContain("gvametapublish name=destination");
      const init = podSpec(objs, DLSTREAMER_NAMES.pipelineServer).initContainers[0];
      expect(init.command).toEqual(["/bin/sh", "/scripts/fetch-model.sh"]);
      expect(init.env).toContainEqual({ name: "MODEL_NAME", value: PERSON_VEHICLE_BIKE_MODEL.name });
      expect(init.volumeMounts).toContainEqual({ mountPath: "/home/pipeline-server/models", name: "models" });
      expect(c.volumeMounts).toContainEqual({ mountPath: "/home/pipeline-server/models", name: "models", readOnly: true });
      expect(configFile(objs, "pipeline-server-config", "fetch-model.sh")).toBe(
        fs.readFileSync(path.join(__dirname, "../../../charts/dlstreamer/fetch-model.sh"), "utf8"),
      );
    });

    test("accept REST calls only from HAProxy and the status Job", () => {
      const policy = one(objs, "NetworkPolicy", `${DLSTREAMER_NAMES.pipelineServer}-callers`);
      expect(policy.spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "pipeline-server" } });
      expect(policy.spec.policyTypes).toEqual(["Ingress"]);
      expect(policy.spec.ingress).toEqual([
        { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "haproxy" } } }], ports: [{ protocol: "TCP", port: 8080 }] },
        { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "pipeline-status" } } }], ports: [{ protocol: "TCP", port: 8080 }] },
      ]);
      // The selectors match the pods they mean.
      expect(one(objs, "Deployment", DLSTREAMER_NAMES.haproxy).spec.template.metadata.labels["app.kubernetes.io/name"]).toBe("haproxy");
      const statusPod = one(objs, "CronJob", DLSTREAMER_NAMES.pipelineStatus).spec.jobTemplate.spec.template;
      expect(statusPod.metadata.labels["app.kubernetes.io/name"]).toBe("pipeline-status");
    });

    test("are discovered through a headless Service that lists ready pods only", () => {
      const svc = one(objs, "Service", DLSTREAMER_NAMES.pipelineServer);
      expect(svc.spec.clusterIP).toBe("None");
      expect(svc.spec.publishNotReadyAddresses).toBe(false);
      expect(svc.spec.ports).toEqual([expect.objectContaining({ name: "http", port: 8080, targetPort: 8080 })]);
      expect(svc.spec.selector).toEqual({ "app.kubernetes.io/name": "pipeline-server" });
    });
  });

  describe("HAProxy", () => {
    test("runs the pinned official image with the rendered configuration, rolled on change", () => {
      const c = container(objs, DLSTREAMER_NAMES.haproxy);
      expect(c.image).toBe(DEFAULT_DLSTREAMER_IMAGES.haproxy);
      expect(c.image).toMatch(/^haproxy:3\.2\.\d+-alpine$/);
      expect(c.args).toEqual(["-f", "/usr/local/etc/haproxy-rendered/haproxy.cfg"]);
      expect(c.volumeMounts).toContainEqual({ mountPath: "/usr/local/etc/haproxy-rendered", name: "haproxy-config", readOnly: true });
      const annotations = one(objs, "Deployment", DLSTREAMER_NAMES.haproxy).spec.template.metadata.annotations;
      expect(annotations["checksum/haproxy-config"]).toMatch(/^[0-9a-f]{64}$/);
      const other = synth({ haproxy: { serverTimeoutSeconds: 300 } });
      expect(one(other, "Deployment", DLSTREAMER_NAMES.haproxy).spec.template.metadata.annotations["checksum/haproxy-config"]).not.toBe(
        annotations["checksum/haproxy-config"],
      );
    });

    test("prefers distinct nodes for its replicas", () => {
      const d = one(objs, "Deployment", DLSTREAMER_NAMES.haproxy);
      expect(d.spec.replicas).toBe(2);
      expect(d.spec.template.spec.topologySpreadConstraints).toEqual([
        expect.objectContaining({ topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": "haproxy" } } }),
      ]);
    });

    test("is probed on its own /healthz and scraped on /metrics of the stats port", () => {
      const c = container(objs, DLSTREAMER_NAMES.haproxy);
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        expect(probe.httpGet).toEqual(expect.objectContaining({ path: "/healthz", port: 8404 }));
      }
      const annotations = one(objs, "Deployment", DLSTREAMER_NAMES.haproxy).spec.template.metadata.annotations;
      expect(annotations).toEqual(expect.objectContaining({ "prometheus.io/port": "8404", "prometheus.io/path": "/metrics" }));
    });

    test("is reachable from outside on node port 31000 by default", () => {
      const svc = one(objs, "Service", DLSTREAMER_NAMES.haproxy);
      expect(svc.spec.type).toBe("NodePort");
      expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: 8080, nodePort: 31000 })]);
      expect(svc.spec.selector).toEqual({ "app.kubernetes.io/name": "haproxy" });
      const moved = synth({ haproxy: { nodePort: 30500 } });
      expect(one(moved, "Service", DLSTREAMER_NAMES.haproxy).spec.ports[0].nodePort).toBe(30500);
    });

    test("discovers the pods through the cluster DNS: resolvers, server-template over the SRV record", () => {
      expect(haproxyCfg).toMatch(/^resolvers cluster-dns\n {2}parse-resolv-conf$/m);
      expect(haproxyCfg).toMatch(/^ {2}hold valid 5s$/m);
      expect(haproxyCfg).toMatch(
        /^ {2}server-template pipeline-server 16 _http\._tcp\.pipeline-server\.dlstreamer\.svc\.cluster\.local$/m,
      );
      expect(haproxyCfg).toMatch(/^ {2}default-server check inter 5s .*resolvers cluster-dns .*init-addr none$/m);
      // No pod address or fixed server line: nothing to change when pods change.
      expect(haproxyCfg).not.toMatch(/^\s*server\s/m);
      expect(haproxyCfg).not.toMatch(/\b\d+\.\d+\.\d+\.\d+\b/);
    });

    test("health-checks every pod on the REST API and prefers the least loaded one", () => {
      expect(haproxyCfg).toMatch(/^ {2}balance leastconn$/m);
      expect(haproxyCfg).toMatch(/^ {2}option httpchk\n {2}http-check send meth GET uri \/pipelines\n {2}http-check expect status 200$/m);
      expect(haproxyCfg).toMatch(/^frontend pipelines\n {2}bind :8080$/m);
      expect(haproxyCfg).toMatch(/^frontend stats\n {2}bind :8404\n( {2}#.*\n)* {2}http-request use-service prometheus-exporter if \{ path \/metrics \}$/m);
      expect(haproxyCfg).toMatch(/^ {2}timeout server 60s$/m);
    });

    test("renders the golden haproxy.cfg", () => {
      expectGolden("haproxy.cfg", haproxyCfg);
    });
  });

  describe("Mosquitto", () => {
    test("runs the pinned eclipse-mosquitto 2 image as its non-root user, one broker", () => {
      const d = one(objs, "Deployment", DLSTREAMER_NAMES.mosquitto);
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.strategy).toEqual({ type: "Recreate" });
      const c = d.spec.template.spec.containers[0];
      expect(c.image).toMatch(/^eclipse-mosquitto:2\.0\.\d+$/);
      expect(c.securityContext).toEqual(expect.objectContaining({ runAsUser: 1883, runAsNonRoot: true, readOnlyRootFilesystem: true }));
      expect(c.readinessProbe.tcpSocket).toEqual({ port: 1883 });
      const config = d.spec.template.spec.volumes.find((v: Obj) => v.name === "mosquitto-config");
      expect(config.configMap).toEqual({ name: "mosquitto-config", defaultMode: 0o440 });
      expect(c.livenessProbe.tcpSocket).toEqual({ port: 1883 });
    });

    test("listens on 1883, reachable from outside on node port 31020 by default", () => {
      expect(mosquittoConf).toMatch(/^listener 1883\nprotocol mqtt$/m);
      const svc = one(objs, "Service", DLSTREAMER_NAMES.mosquitto);
      expect(svc.spec.type).toBe("NodePort");
      expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 1883, targetPort: 1883, nodePort: 31020 })]);
      expect(one(synth({ mosquitto: { nodePort: 31883 } }), "Service", DLSTREAMER_NAMES.mosquitto).spec.ports[0].nodePort).toBe(31883);
    });

    test("authenticates clients with a password file mounted from a Secret it only references", () => {
      expect(mosquittoConf).toMatch(/^listener 1883\nprotocol mqtt\n(#.*\n)?allow_anonymous false\npassword_file \/mosquitto\/private\/passwd$/m);
      const pod = podSpec(objs, DLSTREAMER_NAMES.mosquitto);
      const volume = pod.volumes.find((v: Obj) => v.name === "password-file");
      expect(volume.secret).toEqual({ secretName: "mosquitto-passwords", items: [{ key: "passwd", path: "passwd" }], defaultMode: 0o440 });
      // The Secret's files belong to root: an init container running as the
      // broker's user copies them to where the broker reads them.
      const copy = pod.initContainers.find((c: Obj) => c.name === "private-files");
      expect(copy.volumeMounts).toContainEqual({ mountPath: "/mosquitto/secret", name: "password-file", readOnly: true });
      expect(copy.command).toEqual(["cp", "/mosquitto/config/publisher.acl", "/mosquitto/secret/passwd", "/mosquitto/private/"]);
      expect(copy.securityContext).toMatchObject({ runAsUser: 1883, runAsGroup: 1883 });
      expect(pod.containers[0].volumeMounts.map((m: Obj) => m.mountPath)).not.toContain("/mosquitto/secret");
      expect(objs.filter((o) => o.kind === "Secret")).toEqual([]);
      const custom = synth({ mosquitto: { passwordSecret: { name: "mqtt-users", key: "users" } } });
      expect(podSpec(custom, DLSTREAMER_NAMES.mosquitto).volumes.find((v: Obj) => v.name === "password-file").secret).toEqual(
        expect.objectContaining({ secretName: "mqtt-users", items: [{ key: "users", path: "passwd" }] }),
      );
    });

    test("allows anonymous clients only when the values flag says so", () => {
      expect(mosquittoConf.match(/^allow_anonymous true$/gm)).toHaveLength(1); // the publisher listener only
      const open = synth({ mosquitto: { allowAnonymous: true } });
      const conf = configFile(open, "mosquitto-config", "mosquitto.conf");
      expect(conf).toMatch(/^listener 1883\nprotocol mqtt\n#.*mosquitto\.allowAnonymous\.\nallow_anonymous true$/m);
      expect(conf).not.toContain("password_file");
      expect(podSpec(open, DLSTREAMER_NAMES.mosquitto).volumes.map((v: Obj) => v.name)).not.toContain("password-file");
    });

    test("gives the pipeline servers a write-only publisher listener that only they can reach", () => {
      expect(mosquittoConf).toMatch(/^listener 1884\nprotocol mqtt\nallow_anonymous true\nacl_file \/mosquitto\/private\/publisher\.acl$/m);
      expect(configFile(objs, "mosquitto-config", "publisher.acl")).toMatch(/^topic write #$/m);
      expect(configFile(objs, "mosquitto-config", "publisher.acl")).not.toMatch(/^topic (read|readwrite) /m);
      const svc = one(objs, "Service", DLSTREAMER_NAMES.mosquittoPublisher);
      expect(svc.spec.type).toBe("ClusterIP");
      expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 1884, targetPort: 1884 })]);
      const policy = one(objs, "NetworkPolicy", `${DLSTREAMER_NAMES.mosquitto}-callers`);
      expect(policy.spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "mosquitto" } });
      expect(policy.spec.ingress).toEqual([
        { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "pipeline-server" } } }], ports: [{ protocol: "TCP", port: 1884 }] },
      ]);
      // Subscribers come through the node port: any source, the password listener only.
      expect(one(objs, "NetworkPolicy", `${DLSTREAMER_NAMES.mosquitto}-node-port`).spec.ingress).toEqual([{ ports: [{ protocol: "TCP", port: 1883 }] }]);
      const ps = container(objs, DLSTREAMER_NAMES.pipelineServer);
      expect(ps.env).toContainEqual({ name: "MQTT_HOST", value: "mosquitto-publisher.dlstreamer.svc.cluster.local" });
    });

    test("persists to an emptyDir, or to a PVC of the global storage class when sized", () => {
      expect(mosquittoConf).toMatch(/^persistence true\npersistence_location \/mosquitto\/data\/$/m);
      expect(podSpec(objs, DLSTREAMER_NAMES.mosquitto).volumes.find((v: Obj) => v.name === "data").emptyDir).toBeDefined();
      const o = synth({ mosquitto: { persistentVolumeSize: "2Gi" } }, { storageClass: "fast-ssd" });
      const pvc = one(o, "PersistentVolumeClaim", "mosquitto-data");
      expect(pvc.spec.storageClassName).toBe("fast-ssd");
      expect(pvc.spec.resources.requests.storage).toBe("2Gi");
      expect(podSpec(o, DLSTREAMER_NAMES.mosquitto).volumes.find((v: Obj) => v.name === "data").persistentVolumeClaim).toEqual(
        expect.objectContaining({ claimName: "mosquitto-data" }),
      );
    });

    test("renders the golden mosquitto.conf", () => {
      expectGolden("mosquitto.conf", mosquittoConf);
    });
  });

  describe("pipeline status", () => {
    test("ships the status script in a suspended CronJob that queries the headless Service", () => {
      const cron = one(objs, "CronJob", DLSTREAMER_NAMES.pipelineStatus);
      expect(cron.spec.suspend).toBe(true);
      const job = cron.spec.jobTemplate.spec;
      expect(job.backoffLimit).toBe(0);
      const c = job.template.spec.containers[0];
      expect(c.command).toEqual(["/bin/sh", "/scripts/pipeline-status.sh"]);
      expect(c.env).toContainEqual({ name: "PIPELINE_SERVICE", value: "pipeline-server.dlstreamer.svc.cluster.local" });
      expect(c.env).toContainEqual({ name: "PIPELINE_PORT", value: "8080" });
      expect(c.volumeMounts).toContainEqual({ mountPath: "/scripts", name: "pipeline-status-script", readOnly: true });
      expect(configFile(objs, "pipeline-status-script", "pipeline-status.sh")).toBe(
        fs.readFileSync(path.join(__dirname, "../../../charts/dlstreamer/pipeline-status.sh"), "utf8"),
      );
    });
  });

  test("renders the golden pipeline server config.json", () => {
    expectGolden("pipeline-server-config.json", configFile(objs, "pipeline-server-config", "config.json"));
  });
});

describe("dlstreamer values", () => {
  test.each([
    [{ pipelineServer: { image: "intel/dlstreamer-pipeline-server:latest" } }, /dlstreamer\.pipelineServer\.image: got "intel\/dlstreamer-pipeline-server:latest"/],
    [{ pipelineServer: { workerNodes: 0 } }, /dlstreamer\.pipelineServer\.workerNodes: got 0; allowed: an integer from 1 to 100/],
    [{ pipelineServer: { spread: "Sometimes" } }, /dlstreamer\.pipelineServer\.spread: got "Sometimes"; allowed: one of "DoNotSchedule", "ScheduleAnyway"/],
    [
      { pipelineServer: { replicas: 3, autoscaling: { maxReplicas: 4 } } },
      /dlstreamer\.pipelineServer\.replicas: got 3; allowed: unset when autoscaling is set/,
    ],
    [{ pipelineServer: { replicas: 20 }, haproxy: { maxServers: 8 } }, /dlstreamer\.haproxy\.maxServers: got 8; allowed: at least the largest pipeline server count \(20\)/],
    [{ haproxy: { maxServers: 500 } }, /dlstreamer\.haproxy\.maxServers: got 500; allowed: an integer from 1 to 128/],
    [{ haproxy: { nodePort: 80 } }, /dlstreamer\.haproxy\.nodePort: got 80; allowed: an integer from 30000 to 32767/],
    [{ mosquitto: { nodePort: 31000 } }, /dlstreamer\.mosquitto\.nodePort: got 31000; allowed: a node port other than haproxy\.nodePort \(31000\)/],
    [{ mosquitto: { allowAnonymous: "yes" } }, /dlstreamer\.mosquitto\.allowAnonymous: got "yes"; allowed: true or false/],
    [{ mosquitto: { passwordSecret: { name: "Bad_Name" } } }, /dlstreamer\.mosquitto\.passwordSecret\.name: got "Bad_Name"/],
    [{ mosquitto: { persistentVolumeSize: "lots" } }, /dlstreamer\.mosquitto\.persistentVolumeSize: got "lots"; allowed: a size in Mi or Gi/],
    [{ mosquitto: { password: "hunter2" } }, /dlstreamer\.mosquitto\.password: got "hunter2"; allowed: a known key/],
  ])("rejects %j", (dlstreamer, message) => {
    expect(parseError(dlstreamer)).toMatch(message);
  });
});

describe("renderHaproxyConfig", () => {
  test("uses the given nameservers instead of resolv.conf", () => {
    const cfg = renderHaproxyConfig({ serviceFqdn: "a.b.svc.cluster.local", nameservers: ["10.96.0.10:53"] });
    expect(cfg).toMatch(/^resolvers cluster-dns\n {2}nameserver dns1 10\.96\.0\.10:53$/m);
    expect(cfg).not.toContain("parse-resolv-conf");
  });

  test("names every bad option", () => {
    const problems = haproxyConfigProblems({
      serviceFqdn: "Not_A_Name",
      servicePortName: "way-too-long-port-name",
      maxServers: 0,
      listenPort: 80,
      healthCheckPath: "pipelines",
      nameservers: ["dns:53"],
      timeouts: { server: -1 },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^haproxy\.serviceFqdn: got "Not_A_Name"/),
      expect.stringMatching(/^haproxy\.servicePortName: got "way-too-long-port-name"/),
      expect.stringMatching(/^haproxy\.healthCheckPath: got "pipelines"/),
      expect.stringMatching(/^haproxy\.nameservers\[0\]: got "dns:53"/),
      expect.stringMatching(/^haproxy\.maxServers: got 0/),
      expect.stringMatching(/^haproxy\.listenPort: got 80/),
      expect.stringMatching(/^haproxy\.timeouts\.server: got -1/),
    ]);
    expect(() => renderHaproxyConfig({ serviceFqdn: "x", maxServers: 0 })).toThrow(/haproxy\.maxServers: got 0/);
  });
});

describe("renderMosquittoConfig", () => {
  test("refuses a configuration no client could use", () => {
    expect(mosquittoConfigProblems({})).toEqual([expect.stringMatching(/^mosquitto\.passwordFile: got undefined; allowed: a password file path/)]);
    expect(mosquittoConfigProblems({ allowAnonymous: true })).toEqual([]);
  });

  test("names every bad option", () => {
    const problems = mosquittoConfigProblems({
      passwordFile: "relative/passwd",
      publisherListener: { port: 1883, aclFile: "/acl" },
      autosaveIntervalSeconds: 0,
    });
    expect(problems).toEqual([
      expect.stringMatching(/^mosquitto\.publisherListener\.port: got 1883; allowed: a port other than/),
      expect.stringMatching(/^mosquitto\.passwordFile: got "relative\/passwd"/),
      expect.stringMatching(/^mosquitto\.autosaveIntervalSeconds: got 0/),
    ]);
    expect(() => renderMosquittoConfig({ port: 80, allowAnonymous: true })).toThrow(/mosquitto\.port: got 80/);
  });

  test("disables persistence when no location is given", () => {
    const conf = renderMosquittoConfig({ allowAnonymous: true });
    expect(conf).toMatch(/^persistence false$/m);
    expect(conf).not.toContain("persistence_location");
  });
});
