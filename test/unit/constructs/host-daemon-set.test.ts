import { Chart, Duration, Testing } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { HostDaemonSet, HostDaemonSetProps } from "../../../constructs/host-daemon-set";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const probe = kplus.Probe.fromHttpGet("/", { port: 9100, periodSeconds: Duration.seconds(10) });
const BASE: HostDaemonSetProps = {
  name: "agent",
  namespace: "node-agents",
  image: "team/agent:1.0",
  ports: [{ name: "metrics", port: 9100 }],
  callers: [],
  probes: { readiness: probe, liveness: probe },
  resources: { cpu: { request: "50m", limit: "200m" }, memory: { request: "32Mi", limit: "64Mi" } },
};

function synth(overrides: Partial<HostDaemonSetProps> = {}): Obj[] {
  const chart = new Chart(Testing.app(), "c");
  new HostDaemonSet(chart, "A", { ...BASE, ...overrides });
  return Testing.synth(chart) as Obj[];
}
const daemonSet = (objs: Obj[]) => objs.find((o) => o.kind === "DaemonSet") as Obj;
const pod = (objs: Obj[]) => daemonSet(objs).spec.template.spec;
const build = (overrides: Partial<HostDaemonSetProps>) => () => synth(overrides);

describe("HostDaemonSet", () => {
  const objs = synth();

  test("a DaemonSet and a token-less ServiceAccount, selected by name", () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(["DaemonSet", "NetworkPolicy", "ServiceAccount"]);
    expect(daemonSet(objs).spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "agent" } });
    expect(daemonSet(objs).spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%" } });
    expect(objs.find((o) => o.kind === "ServiceAccount")?.automountServiceAccountToken).toBe(false);
    expect(pod(objs)).toMatchObject({ serviceAccountName: "agent", automountServiceAccountToken: false });
  });

  test("every node at node-critical priority by default; tolerations and priority class configurable", () => {
    expect(pod(objs)).toMatchObject({ tolerations: [{ operator: "Exists" }], priorityClassName: "system-node-critical" });
    const gpu = pod(synth({ tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }], priorityClassName: "node-agents" }));
    expect(gpu.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(gpu.priorityClassName).toBe("node-agents");
  });

  test("host namespaces with the DNS policy host networking needs", () => {
    expect(pod(objs).hostNetwork).toBeUndefined();
    expect(pod(objs).dnsPolicy).toBeUndefined();
    const host = pod(synth({ hostNetwork: true, hostPid: true, ports: [{ name: "metrics", port: 9100, hostPort: true }] }));
    expect(host).toMatchObject({ hostNetwork: true, hostPID: true, dnsPolicy: "ClusterFirstWithHostNet" });
    expect(host.containers[0].ports).toEqual([{ name: "metrics", containerPort: 9100, hostPort: 9100 }]);
  });

  test("host mounts read-only by default, with mount propagation when asked", () => {
    const spec = pod(
      synth({
        hostMounts: [
          { name: "root", hostPath: "/", mountPath: "/host/root", mountPropagation: "HostToContainer" },
          { name: "state", hostPath: "/var/lib/agent", mountPath: "/state", readOnly: false, type: "DirectoryOrCreate" },
        ],
        fileMounts: [{ name: "config", configMapName: "agent-config", mountPath: "/etc/agent" }],
      }),
    );
    expect(spec.containers[0].volumeMounts).toEqual([
      { name: "config", mountPath: "/etc/agent", readOnly: true },
      { name: "root", mountPath: "/host/root", readOnly: true, mountPropagation: "HostToContainer" },
      { name: "state", mountPath: "/state", readOnly: false },
    ]);
    expect(spec.volumes).toEqual([
      { name: "config", configMap: { name: "agent-config" } },
      { name: "root", hostPath: { path: "/" } },
      { name: "state", hostPath: { path: "/var/lib/agent", type: "DirectoryOrCreate" } },
    ]);
  });

  test("restricted as nobody by default, no fsGroup; root without capabilities when it opts out", () => {
    expect(pod(objs).securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod(objs).containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const root = pod(synth({ security: { allowRunAsRoot: true, writableRootFilesystem: true } }));
    expect(root.securityContext).toMatchObject({ runAsNonRoot: false, runAsUser: 0 });
    expect(root.containers[0].securityContext).toMatchObject({ runAsUser: 0, readOnlyRootFilesystem: false, privileged: false, capabilities: { drop: ["ALL"] } });
  });

  test("probes, resources, env and shutdown in the shared vocabulary", () => {
    const c = pod(objs).containers[0];
    expect(c.readinessProbe).toEqual({ httpGet: { path: "/", port: 9100, scheme: "HTTP" }, periodSeconds: 10, failureThreshold: 3 });
    expect(c.resources).toEqual({ requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } });
    const spec = pod(
      synth({
        env: { CONF: "agent.conf" },
        envFromFields: { NODE: "spec.nodeName" },
        envFromSecrets: { TOKEN: { secretName: "agent", key: "token" } },
        shutdown: { terminationGracePeriodSeconds: 60 },
      }),
    );
    expect(spec.containers[0].env).toEqual([
      { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "TOKEN", valueFrom: { secretKeyRef: { name: "agent", key: "token" } } },
      { name: "CONF", value: "agent.conf" },
    ]);
    expect(spec.terminationGracePeriodSeconds).toBe(60);
  });

  const invalid: [string, Partial<HostDaemonSetProps>, RegExp][] = [
    ["an image on latest", { image: "team/agent:latest" }, /image: got "team\/agent:latest"/],
    ["no ports", { ports: [] }, /ports: got \[\]; allowed: at least one port/],
    ["no liveness probe", { probes: { readiness: probe } }, /probes: allowed: readiness and liveness probes/],
    ["a relative host path", { hostMounts: [{ name: "logs", hostPath: "var/log", mountPath: "/logs" }] }, /hostMounts logs hostPath: got "var\/log"; allowed: an absolute path/],
    [
      "bidirectional mount propagation",
      { hostMounts: [{ name: "root", hostPath: "/", mountPath: "/r", mountPropagation: "Bidirectional" as never }] },
      /mountPropagation: got "Bidirectional"; allowed: HostToContainer/,
    ],
    ["two volumes of one name", { fileMounts: [{ name: "x", configMapName: "c", mountPath: "/c" }], hostMounts: [{ name: "x", hostPath: "/x", mountPath: "/x" }] }, /"x" is used twice/],
    ["a bad priority class", { priorityClassName: "Node Critical" }, /priorityClassName: got "Node Critical"/],
    ["a rollout share that is no percentage", { maxUnavailable: "3" }, /maxUnavailable: got "3"; allowed: a percentage/],
    ["labels that replace the selector", { labels: { "app.kubernetes.io/name": "x" } }, /labels: got "app.kubernetes.io\/name"/],
  ];
  test.each(invalid)("rejects %s at construction", (_d, props, message) => {
    expect(build(props)).toThrow(message);
  });
});
