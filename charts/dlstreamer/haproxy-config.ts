/**
 * The HAProxy configuration that balances pipeline requests across the DL
 * Streamer pipeline server pods. Pure: the chart puts the text in a ConfigMap,
 * the tests hand it to a real `haproxy -c`.
 *
 * The seed sample baked the pod IPs into the configuration and had to rebuild
 * and redeploy HAProxy whenever a pod was added, removed or restarted. Here
 * HAProxy discovers the pods itself: `server-template` reserves a fixed number
 * of server slots that HAProxy fills, at run time, from the DNS SRV records of
 * a headless Service (one record per ready pod), and re-resolves them every
 * few seconds through the cluster DNS.
 */

/** Timeouts, in seconds. */
export interface HaproxyTimeouts {
  /**
   * Time to establish a TCP connection to a pod.
   * @default 5
   */
  readonly connect?: number;
  /**
   * Client inactivity. Pipeline requests are short REST calls; synchronous
   * image requests wait for an inference.
   * @default 60
   */
  readonly client?: number;
  /**
   * Server inactivity (time a pod may take to answer).
   * @default 60
   */
  readonly server?: number;
  /**
   * Time a request may wait for a free connection slot when every pod is at
   * `maxConnectionsPerServer`.
   * @default 30
   */
  readonly queue?: number;
}

/** Options of {@link renderHaproxyConfig}. */
export interface HaproxyConfigOptions {
  /**
   * Fully qualified name of the headless Service in front of the pipeline
   * servers, e.g. `pipeline-server.dlstreamer.svc.cluster.local`. Fully
   * qualified because HAProxy's resolvers ignore the `search` list of
   * resolv.conf.
   */
  readonly serviceFqdn: string;
  /**
   * Name of the Service port HAProxy discovers through the SRV record
   * `_<portName>._tcp.<serviceFqdn>`; the record carries the pod port too.
   * @default "http"
   */
  readonly servicePortName?: string;
  /**
   * Number of server slots, at most {@link HAPROXY_MAX_SERVERS}. Must be at
   * least the largest number of pipeline server pods (the HPA maximum or the
   * fixed replica count): pods beyond it receive no traffic.
   * @default 16
   */
  readonly maxServers?: number;
  /**
   * Port HAProxy accepts pipeline requests on.
   * @default 8080
   */
  readonly listenPort?: number;
  /**
   * Port serving `/metrics` (Prometheus), `/stats` (HTML) and `/healthz`.
   * @default 8404
   */
  readonly statsPort?: number;
  /**
   * Pipeline server path HAProxy checks on every pod; it must answer 200.
   * `GET /pipelines` lists the loaded pipeline definitions and is cheap.
   * @default "/pipelines"
   */
  readonly healthCheckPath?: string;
  /**
   * Seconds between two health checks of one pod.
   * @default 5
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Concurrent requests one pod receives; more wait in HAProxy's queue.
   * @default 32
   */
  readonly maxConnectionsPerServer?: number;
  /**
   * Seconds a DNS answer is kept before HAProxy asks again, i.e. how quickly
   * a new pod starts receiving traffic.
   * @default 5
   */
  readonly dnsHoldValidSeconds?: number;
  /**
   * DNS servers (`address:port`) to ask instead of the nameservers of the
   * pod's /etc/resolv.conf. Needed only where pods do not use the cluster
   * DNS (dnsPolicy `None` or `Default`).
   * @default - the nameservers of /etc/resolv.conf (parse-resolv-conf)
   */
  readonly nameservers?: readonly string[];
  /**
   * Timeouts.
   * @default - see {@link HaproxyTimeouts}
   */
  readonly timeouts?: HaproxyTimeouts;
}

/**
 * Most server slots. All pods must fit in one UDP DNS answer of at most
 * `accepted_payload_size` (8192) bytes; with the name compression CoreDNS
 * uses, an SRV record plus its A record take about 50 bytes per pod.
 */
export const HAPROXY_MAX_SERVERS = 128;

/** Name of the resolvers section, referenced by the server-template line. */
export const HAPROXY_RESOLVERS = "cluster-dns";
/** Name of the backend holding the pipeline server slots. */
export const HAPROXY_BACKEND = "pipeline-servers";
/** Cookie that pins a client with a cookie jar to the pod that started its pipeline. */
export const HAPROXY_STICKY_COOKIE = "PIPELINE_SERVER";
/**
 * Key of the dynamic cookie values. Not a secret: it only keeps pod
 * addresses out of the cookie. Every HAProxy replica shares it, so each
 * one maps a cookie to the same pod.
 */
export const HAPROXY_DYNAMIC_COOKIE_KEY = "dlstreamer-pipeline-server";

const FQDN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PORT_NAME = /^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~/-]*$/;

/** Every problem with the options, as `key: got ...; allowed: ...`. Empty when valid. */
export function haproxyConfigProblems(o: HaproxyConfigOptions): string[] {
  const problems: string[] = [];
  const bad = (key: string, value: unknown, allowed: string) =>
    problems.push(`haproxy.${key}: got ${JSON.stringify(value)}; allowed: ${allowed}`);
  const int = (key: string, value: number | undefined, min: number, max: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      bad(key, value, `an integer from ${min} to ${max}`);
    }
  };
  if (!FQDN.test(o.serviceFqdn)) bad("serviceFqdn", o.serviceFqdn, "a fully qualified lower-case DNS name such as svc.ns.svc.cluster.local");
  if (o.servicePortName !== undefined && !PORT_NAME.test(o.servicePortName)) {
    bad("servicePortName", o.servicePortName, "a Service port name (IANA_SVC_NAME: lower-case letters, digits and '-', at most 15 characters)");
  }
  if (o.healthCheckPath !== undefined && !HTTP_PATH.test(o.healthCheckPath)) {
    bad("healthCheckPath", o.healthCheckPath, "an absolute HTTP path such as /pipelines");
  }
  (o.nameservers ?? []).forEach((ns, i) => {
    if (!/^[0-9.]+:[0-9]{1,5}$/.test(ns)) bad(`nameservers[${i}]`, ns, "an IPv4 address and port such as 10.96.0.10:53");
  });
  if (o.nameservers !== undefined && o.nameservers.length === 0) bad("nameservers", o.nameservers, "at least one address:port, or leave unset");
  int("maxServers", o.maxServers, 1, HAPROXY_MAX_SERVERS);
  int("listenPort", o.listenPort, 1024, 65535);
  int("statsPort", o.statsPort, 1024, 65535);
  if (o.listenPort !== undefined && o.listenPort === o.statsPort) bad("statsPort", o.statsPort, "a port other than listenPort");
  int("healthCheckIntervalSeconds", o.healthCheckIntervalSeconds, 1, 300);
  int("maxConnectionsPerServer", o.maxConnectionsPerServer, 1, 100000);
  int("dnsHoldValidSeconds", o.dnsHoldValidSeconds, 1, 300);
  const t = o.timeouts ?? {};
  int("timeouts.connect", t.connect, 1, 3600);
  int("timeouts.client", t.client, 1, 86400);
  int("timeouts.server", t.server, 1, 86400);
  int("timeouts.queue", t.queue, 1, 3600);
  return problems;
}

/** Renders haproxy.cfg. Throws on invalid options, naming each one. */
export function renderHaproxyConfig(o: HaproxyConfigOptions): string {
  const problems = haproxyConfigProblems(o);
  if (problems.length > 0) throw new Error(`Invalid HAProxy configuration options:\n  - ${problems.join("\n  - ")}`);
  const portName = o.servicePortName ?? "http";
  const maxServers = o.maxServers ?? 16;
  const listenPort = o.listenPort ?? 8080;
  const statsPort = o.statsPort ?? 8404;
  const checkPath = o.healthCheckPath ?? "/pipelines";
  const inter = o.healthCheckIntervalSeconds ?? 5;
  const maxconn = o.maxConnectionsPerServer ?? 32;
  const t = { connect: 5, client: 60, server: 60, queue: 30, ...o.timeouts };

  return `# Rendered by charts/dlstreamer/haproxy-config.ts: edit the renderer, not this file.
global
  log stdout format raw local0 info
  # Enough for every server slot at full concurrency plus the stats frontend.
  maxconn ${Math.max(1024, maxServers * maxconn * 2)}

defaults
  mode http
  log global
  option httplog
  option dontlognull
  option forwardfor
  # A request whose pod dies mid-flight is retried once on another pod.
  retries 1
  option redispatch
  timeout connect ${t.connect}s
  timeout client ${t.client}s
  timeout server ${t.server}s
  timeout queue ${t.queue}s
  timeout http-request 10s
  timeout http-keep-alive 10s
  timeout check ${Math.min(t.connect, inter)}s

${resolversSection(o)}

frontend pipelines
  bind :${listenPort}
  default_backend ${HAPROXY_BACKEND}

backend ${HAPROXY_BACKEND}
  # Pipelines are long-running and uneven: the pod with the fewest open
  # requests gets the next one.
  balance leastconn
  # Pipeline instance ids are local to a pod; a client that keeps this cookie
  # reaches the pod that started its pipeline for status and DELETE calls.
  # server-template slots have no cookie value of their own (HAProxy would
  # send a deletion): "dynamic" derives it from the pod's address and port,
  # so it survives slots being refilled and is the same in every replica.
  cookie ${HAPROXY_STICKY_COOKIE} insert indirect nocache httponly dynamic
  dynamic-cookie-key ${HAPROXY_DYNAMIC_COOKIE_KEY}
  option httpchk
  http-check send meth GET uri ${checkPath}
  http-check expect status 200
  default-server check inter ${inter}s fall 3 rise 2 maxconn ${maxconn} resolvers ${HAPROXY_RESOLVERS} resolve-prefer ipv4 init-addr none
  # One slot per possible pod, filled from the SRV records of the headless
  # Service (a record per ready pod, with its port). Empty slots stay in
  # maintenance; nothing here changes when pods come and go.
  server-template pipeline-server ${maxServers} _${portName}._tcp.${o.serviceFqdn}

frontend stats
  bind :${statsPort}
  # HAProxy's built-in Prometheus exporter.
  http-request use-service prometheus-exporter if { path /metrics }
  # Liveness of HAProxy itself, independent of the pipeline servers.
  monitor-uri /healthz
  stats enable
  stats uri /stats
  stats refresh 10s
  stats show-legends
`;
}

/** The `resolvers` section through which the server slots follow the pods, with its comment. */
function resolversSection(o: HaproxyConfigOptions): string {
  const hold = o.dnsHoldValidSeconds ?? 5;
  const dnsComment = o.nameservers
    ? "# Explicit DNS servers (set where pods do not use the cluster DNS)."
    : [
        "# The cluster DNS (kube-dns/CoreDNS), read from the nameserver line the kubelet",
        "# wrote into the pod's /etc/resolv.conf (dnsPolicy ClusterFirst): no Service IP",
        "# is hard-coded and the same file works on any cluster.",
      ].join("\n");
  const nameservers = o.nameservers
    ? o.nameservers.map((ns, i) => `  nameserver dns${i + 1} ${ns}`).join("\n")
    : "  parse-resolv-conf";
  return `${dnsComment}
resolvers ${HAPROXY_RESOLVERS}
${nameservers}
  # Large enough for ${HAPROXY_MAX_SERVERS} SRV + A records in one UDP answer.
  accepted_payload_size 8192
  resolve_retries 3
  timeout resolve 1s
  timeout retry 1s
  # Re-ask every ${hold}s: a new pod gets traffic within seconds of turning ready.
  hold valid ${hold}s
  # A pod missing from the answer (deleted, not ready) leaves its slot quickly.
  hold obsolete ${hold}s
  hold nx ${hold}s
  hold other ${hold}s
  hold refused ${hold}s
  hold timeout ${hold}s`;
}
