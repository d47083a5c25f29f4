import { Duration, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { CallerPolicy, Peer } from "../../constructs/caller-policy";
import { ConfigFiles } from "../../constructs/config-files";
import { NodePortService } from "../../constructs/node-port-service";
import { memoryMebibytes, toContainerResources } from "../../constructs/resources";
import { restrictedContainer } from "./container";
import { MOSQUITTO_CONTRACT } from "./image-contracts";
import { PUBLISHER_ACL, renderMosquittoConfig } from "./mosquitto-config";
import { DLSTREAMER_NAMES, MOSQUITTO_PORT, MOSQUITTO_PUBLISHER_PORT } from "./names";
import type { MosquittoValues } from "./values";

/** UID/GID of the `mosquitto` user of the eclipse-mosquitto image (its image contract). */
const MOSQUITTO_UID = MOSQUITTO_CONTRACT.user.uid ?? 1883;
/**
 * Where the broker reads its password and ACL files: copies owned by the
 * broker's user. Mounted Secret and ConfigMap files belong to root, which
 * Mosquitto 2.0.16+ warns about (a future version refuses such files).
 */
const PRIVATE_DIR = "/mosquitto/private";

/** Props of {@link Mosquitto}. */
export interface MosquittoProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  /** The `dlstreamer.mosquitto` values: image, node port, authentication, persistence, resources. */
  readonly values: MosquittoValues;
  /** StorageClass of the persistence claim (used when `values.persistentVolumeSize` is set). */
  readonly storageClass: string;
  /** Labels of the only pods allowed to reach the anonymous, write-only publisher listener. */
  readonly publisherClients: Readonly<Record<string, string>>;
}

/**
 * The Mosquitto MQTT broker receiving the inference results: one broker pod,
 * a password-protected listener on a node port for subscribers, and an
 * anonymous write-only listener for the pipeline servers only.
 */
export class Mosquitto extends Construct {
  readonly deployment: kplus.Deployment;
  readonly nodePort: NodePortService;
  readonly publisherService: kplus.Service;
  /** Admits the publisher clients to the anonymous listener. */
  readonly callerPolicy: CallerPolicy;
  /** Labels that select the broker pod. */
  readonly selectorLabels: Readonly<Record<string, string>> = { "app.kubernetes.io/name": DLSTREAMER_NAMES.mosquitto };
  private readonly labels: Record<string, string>;

  constructor(scope: Construct, id: string, props: MosquittoProps) {
    super(scope, id);
    this.labels = { "app.kubernetes.io/part-of": props.partOf };
    const m = props.values;
    const config = new ConfigFiles(this, "Config", {
      name: "mosquitto-config",
      namespace: props.namespace,
      labels: this.labels,
      // Mosquitto 2.0.16+ warns about world-readable ACL and password files.
      fileMode: 0o440,
      files: {
        "mosquitto.conf": renderMosquittoConfig({
          port: MOSQUITTO_PORT,
          allowAnonymous: m.allowAnonymous,
          passwordFile: m.allowAnonymous ? undefined : `${PRIVATE_DIR}/passwd`,
          publisherListener: { port: MOSQUITTO_PUBLISHER_PORT, aclFile: `${PRIVATE_DIR}/publisher.acl` },
          persistenceLocation: "/mosquitto/data",
        }),
        "publisher.acl": PUBLISHER_ACL,
      },
    });
    this.deployment = this.createDeployment(props);
    const broker = this.deployment.containers[0];
    config.mount(broker, "/mosquitto/config");
    config.rolloutOnChange(this.deployment);
    broker.mount("/mosquitto/data", this.dataVolume(props));
    this.copyPrivateFiles(props, config, broker);

    this.nodePort = new NodePortService(this, "NodePort", {
      name: DLSTREAMER_NAMES.mosquitto,
      namespace: props.namespace,
      labels: this.labels,
      selector: this.selectorLabels,
      ports: [{ name: "mqtt", port: MOSQUITTO_PORT, targetPort: MOSQUITTO_PORT, nodePort: m.nodePort }],
    });
    this.publisherService = new kplus.Service(this, "Publisher", {
      metadata: { name: DLSTREAMER_NAMES.mosquittoPublisher, namespace: props.namespace, labels: this.labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: "mqtt", port: MOSQUITTO_PUBLISHER_PORT, targetPort: MOSQUITTO_PUBLISHER_PORT }],
    });
    for (const [key, value] of Object.entries(this.selectorLabels)) this.publisherService.selectLabel(key, value);
    this.callerPolicy = this.allowIngress(props);
  }

  /** One broker pod with its non-root user and TCP probes. */
  private createDeployment(props: MosquittoProps): kplus.Deployment {
    const m = props.values;
    const labels = { ...this.selectorLabels, ...this.labels };
    const account = new kplus.ServiceAccount(this, "ServiceAccount", {
      metadata: { name: DLSTREAMER_NAMES.mosquitto, namespace: props.namespace, labels },
      automountToken: false,
    });
    // "Default" keeps the construct address, and so the pod's cdk8s.io/metadata.addr label, of a Deployment created in the chart.
    const deployment = new kplus.Deployment(this, "Default", {
      metadata: { name: DLSTREAMER_NAMES.mosquitto, namespace: props.namespace, labels },
      select: false,
      podMetadata: { labels },
      // One broker: two would split the subscribers. Recreate, so the old pod
      // releases the persistence volume before the new one mounts it.
      replicas: 1,
      strategy: kplus.DeploymentStrategy.recreate(),
      serviceAccount: account,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(30),
      securityContext: { ensureNonRoot: true, user: MOSQUITTO_UID, group: MOSQUITTO_UID, fsGroup: MOSQUITTO_UID },
    });
    deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));
    const tcp = (port: number) => ({ port, periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(3) });
    deployment.addContainer({
      name: DLSTREAMER_NAMES.mosquitto,
      image: m.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [
        { number: MOSQUITTO_PORT, name: "mqtt" },
        { number: MOSQUITTO_PUBLISHER_PORT, name: "mqtt-publisher" },
      ],
      readiness: kplus.Probe.fromTcpSocket({ ...tcp(MOSQUITTO_PORT), failureThreshold: 3 }),
      liveness: kplus.Probe.fromTcpSocket({ ...tcp(MOSQUITTO_PORT), failureThreshold: 3 }),
      resources: toContainerResources(m.resources),
      securityContext: restrictedContainer(MOSQUITTO_UID),
    });
    return deployment;
  }

  /**
   * An init container, running as the broker's user, copies the password and
   * ACL files into a memory-backed volume: the copies belong to that user and
   * keep the 0440 mode (no world access), which is what Mosquitto checks.
   */
  private copyPrivateFiles(props: MosquittoProps, config: ConfigFiles, broker: kplus.Container): void {
    const sources = ["/mosquitto/config/publisher.acl", ...(props.values.allowAnonymous ? [] : ["/mosquitto/secret/passwd"])];
    const copy = this.deployment.addInitContainer({
      name: "private-files",
      image: props.values.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ["cp", ...sources, `${PRIVATE_DIR}/`],
      resources: toContainerResources({ cpu: { request: "10m", limit: "100m" }, memory: { request: "8Mi", limit: "32Mi" } }),
      securityContext: restrictedContainer(MOSQUITTO_UID),
    });
    const files = kplus.Volume.fromEmptyDir(this, "PrivateFiles", "private-files", { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
    copy.mount(PRIVATE_DIR, files);
    broker.mount(PRIVATE_DIR, files, { readOnly: true });
    config.mount(copy, "/mosquitto/config");
    const m = props.values;
    if (!m.allowAnonymous) {
      const secret = kplus.Secret.fromSecretName(this, "Passwords", m.passwordSecret.name);
      // Group-readable through fsGroup; never world-readable.
      const passwords = kplus.Volume.fromSecret(this, "PasswordFile", secret, {
        name: "password-file",
        items: { [m.passwordSecret.key]: { path: "passwd" } },
        defaultMode: 0o440,
      });
      copy.mount("/mosquitto/secret", passwords, { readOnly: true });
    }
  }

  /** The persistence database: a claim when sized, else an emptyDir lost with the pod. */
  private dataVolume(props: MosquittoProps): kplus.Volume {
    const size = props.values.persistentVolumeSize;
    if (size === undefined) {
      return kplus.Volume.fromEmptyDir(this, "DataVolume", "data", { sizeLimit: Size.gibibytes(1) });
    }
    const claim = new kplus.PersistentVolumeClaim(this, "Data", {
      metadata: { name: "mosquitto-data", namespace: props.namespace, labels: this.labels },
      storageClassName: props.storageClass,
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.mebibytes(memoryMebibytes(size) ?? 1024),
    });
    return kplus.Volume.fromPersistentVolumeClaim(this, "DataVolume", claim, { name: "data" });
  }

  /**
   * The publisher listener is anonymous: only the publisher clients may reach it.
   * Subscribers use the password listener through the node port, which the
   * NodePortService opens to any source.
   */
  private allowIngress(props: MosquittoProps): CallerPolicy {
    return new CallerPolicy(this, "Callers", {
      name: `${DLSTREAMER_NAMES.mosquitto}-callers`,
      namespace: props.namespace,
      podSelector: this.selectorLabels,
      labels: this.labels,
      callers: [{ peer: Peer.pods(props.publisherClients), ports: [MOSQUITTO_PUBLISHER_PORT] }],
    });
  }
}
