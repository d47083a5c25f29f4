import { Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { addImagePullSecret, useHealthPort, useRecreateStrategy } from "../../constructs/deployment-patches";
import { Microservice, MicroserviceProps } from "../../constructs/microservice";
import { assertDnsLabel, assertIntegerInRange } from "../../constructs/names";
import { memoryMebibytes } from "../../constructs/resources";
import { GOSTY_PART_OF, gostyLabels } from "./common";
import type { GostyValues } from "./values";

export const API_SERVER_PORT = 8000;
export const FILE_SERVER_PORT = 8001;
/** Where the file server keeps uploaded and transcoded files. */
export const FILE_SERVER_STORAGE_PATH = "/app/storage";
/** ConfigMap with the connection settings every Gosty service reads. */
export const GOSTY_CONFIG_MAP = "gosty-config";

/** Where a service the apps connect to answers (namespace-qualified host). */
export interface GostyEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Props of {@link GostyAppServices}. Plain data only. */
export interface GostyAppServicesProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** The `gosty` values (already validated by the values parser). */
  readonly values: GostyValues;
  /** StorageClass of the file server's volume. */
  readonly storageClass: string;
  /** The MongoDB server. */
  readonly mongodb: GostyEndpoint;
  /** The RabbitMQ broker (its AMQP port). */
  readonly rabbitmq: GostyEndpoint;
}

/**
 * Gosty's own services: the API server (behind the ingress), the file server
 * with a volume for uploaded and transcoded files, and the workers, autoscaled
 * on CPU. They read connection settings from one ConfigMap and credentials
 * from the datastores' Secrets.
 */
export class GostyAppServices extends Construct {
  readonly apiServer: Microservice;
  readonly fileServer: Microservice;
  readonly worker: Microservice;

  constructor(scope: Construct, id: string, props: GostyAppServicesProps) {
    super(scope, id);
    assertDnsLabel("GostyAppServices namespace", props.namespace);
    for (const [key, e] of [["mongodb", props.mongodb], ["rabbitmq", props.rabbitmq]] as const) {
      assertIntegerInRange(`GostyAppServices ${key}.port`, e.port, 1, 65535);
    }
    const v = props.values;
    this.connectionSettings(props);
    const common = this.commonProps(props);
    this.apiServer = new Microservice(this, "ApiServer", {
      ...common,
      name: "gosty-apiserver",
      image: v.apiServer.image,
      port: API_SERVER_PORT,
      readinessPath: v.apiServer.health.readinessPath,
      livenessPath: v.apiServer.health.livenessPath,
      resources: v.apiServer.resources,
      replicas: v.apiServer.replicas,
      // Let the ingress stop routing before the server gets SIGTERM.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
    });
    this.fileServer = this.fileServerWithStorage(props, common);
    this.worker = new Microservice(this, "Worker", {
      ...common,
      name: "gosty-worker",
      image: v.worker.image,
      // Workers take jobs from RabbitMQ; the port serves only health checks.
      port: v.worker.health.port,
      expose: false,
      readinessPath: v.worker.health.readinessPath,
      livenessPath: v.worker.health.livenessPath,
      resources: v.worker.resources,
      autoscaling: v.worker.autoscaling,
      // A transcoding task in flight is requeued by RabbitMQ when the worker
      // dies without acknowledging it; the grace period lets short ones finish.
      shutdown: { terminationGracePeriodSeconds: 300 },
    });

    useHealthPort(this.apiServer.deployment, v.apiServer.health.port);
    useHealthPort(this.fileServer.deployment, v.fileServer.health.port);
    for (const m of [this.apiServer, this.fileServer, this.worker]) {
      if (v.imagePullSecret) addImagePullSecret(m.deployment, v.imagePullSecret);
    }
  }

  private connectionSettings(props: GostyAppServicesProps): kplus.ConfigMap {
    const ns = props.namespace;
    return new kplus.ConfigMap(this, "Config", {
      metadata: { name: GOSTY_CONFIG_MAP, namespace: ns, labels: gostyLabels() },
      // Variable names are the ones the Gosty services read (their config.env).
      data: {
        MONGODB_SERVICE_HOST: props.mongodb.host,
        MONGODB_SERVICE_PORT: String(props.mongodb.port),
        MONGODB_DATABASE: props.values.mongodb.database,
        MONGODB_TIMEOUT: "5",
        RABBIT_RABBITMQ_SERVICE_HOST: props.rabbitmq.host,
        RABBIT_RABBITMQ_SERVICE_PORT: String(props.rabbitmq.port),
        GOSTY_APISERVER_SVC_SERVICE_HOST: `gosty-apiserver.${ns}.svc`,
        GOSTY_APISERVER_SVC_SERVICE_PORT: "80",
        GOSTY_FILESERVER_SERVICE_HOST: `gosty-fileserver.${ns}.svc`,
        GOSTY_FILESERVER_SERVICE_PORT: "80",
      },
    });
  }

  /** What the three services share: namespace, settings and credentials. */
  private commonProps(props: GostyAppServicesProps): Pick<MicroserviceProps, "namespace" | "partOf" | "envFromConfigMaps" | "envFromSecrets"> {
    const { mongodb: m, rabbitmq: r } = props.values;
    return {
      namespace: props.namespace,
      partOf: GOSTY_PART_OF,
      envFromConfigMaps: [GOSTY_CONFIG_MAP],
      envFromSecrets: {
        MONGODB_USERNAME: { secretName: m.secret.name, key: m.secret.usernameKey },
        MONGODB_PASSWORD: { secretName: m.secret.name, key: m.secret.passwordKey },
        RABBITMQ_USERNAME: { secretName: r.secret.name, key: r.secret.usernameKey },
        RABBITMQ_PASSWORD: { secretName: r.secret.name, key: r.secret.passwordKey },
      },
    };
  }

  private fileServerWithStorage(props: GostyAppServicesProps, common: ReturnType<GostyAppServices["commonProps"]>): Microservice {
    const f = props.values.fileServer;
    const fileServer = new Microservice(this, "FileServer", {
      ...common,
      name: "gosty-fileserver",
      image: f.image,
      port: FILE_SERVER_PORT,
      readinessPath: f.health.readinessPath,
      livenessPath: f.health.livenessPath,
      resources: f.resources,
      // One pod owns the ReadWriteOnce volume; uploads finish within the grace period.
      replicas: 1,
      shutdown: { terminationGracePeriodSeconds: 120 },
    });
    const claim = new kplus.PersistentVolumeClaim(this, "FileStorage", {
      metadata: { name: "gosty-fileserver-storage", namespace: props.namespace, labels: gostyLabels() },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.mebibytes(memoryMebibytes(f.storageSize) ?? 0),
      storageClassName: props.storageClass,
    });
    fileServer.deployment.containers[0].mount(
      FILE_SERVER_STORAGE_PATH,
      kplus.Volume.fromPersistentVolumeClaim(this, "FileStorageVolume", claim, { name: "storage" }),
    );
    // A rolling update could start the new pod on another node, where it
    // would wait forever for the volume the old pod holds.
    useRecreateStrategy(fileServer.deployment);
    return fileServer;
  }
}
