import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { assertDnsLabel } from "../../constructs/names";
import { memoryMebibytes } from "../../constructs/resources";
import { StatefulService } from "../../constructs/stateful-service";
import { GOSTY_NAMES, GOSTY_PART_OF, gostyPods, probeTiming } from "./common";
import type { GostyValues } from "./values";

export const MONGODB_PORT = 27017;

/** Props of {@link Mongodb}. Plain data only. */
export interface MongodbProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** The `gosty.mongodb` values (already validated by the values parser). */
  readonly values: GostyValues["mongodb"];
  /** StorageClass of the data volume. */
  readonly storageClass: string;
  /**
   * Secret with the registry credentials for the image.
   * @default - none
   */
  readonly imagePullSecret?: string;
}

/**
 * Gosty's database: a standalone MongoDB server whose root user the image's
 * entrypoint creates from the Secret on the first start.
 */
export class Mongodb extends Construct {
  readonly service: StatefulService;

  constructor(scope: Construct, id: string, props: MongodbProps) {
    super(scope, id);
    assertDnsLabel("Mongodb namespace", props.namespace);
    const m = props.values;
    this.service = new StatefulService(this, "Mongodb", {
      name: "mongodb",
      namespace: props.namespace,
      partOf: GOSTY_PART_OF,
      image: m.image,
      // A standalone server: scaling needs a replica set (keyfile, rs.initiate), which Gosty does not use.
      replicas: 1,
      args: ["mongod", "--bind_ip_all", "--wiredTigerCacheSizeGB", String(wiredTigerCacheGb(m.resources.memory.limit))],
      ports: [{ name: "mongodb", port: MONGODB_PORT }],
      // Only the services that read MONGODB_SERVICE_HOST (the file server does not).
      callers: [
        { peer: gostyPods(GOSTY_NAMES.apiServer), ports: [MONGODB_PORT] },
        { peer: gostyPods(GOSTY_NAMES.worker), ports: [MONGODB_PORT] },
      ],
      volumeClaims: [{ name: "data", mountPath: "/data/db", size: m.storageSize, storageClassName: props.storageClass }],
      scratchDirs: { configdb: "/data/configdb" },
      // The image's entrypoint creates this root user on the first start (empty data directory).
      envFromSecrets: {
        MONGO_INITDB_ROOT_USERNAME: { secretName: m.secret.name, key: m.secret.usernameKey },
        MONGO_INITDB_ROOT_PASSWORD: { secretName: m.secret.name, key: m.secret.passwordKey },
      },
      probes: {
        readiness: kplus.Probe.fromTcpSocket({ port: MONGODB_PORT, ...probeTiming(10, 5, 3) }),
        // `ping` needs no authentication; a server that accepts connections but
        // no longer answers commands is restarted.
        liveness: kplus.Probe.fromCommand(["mongosh", "--quiet", "--norc", "--eval", "db.adminCommand('ping').ok"], probeTiming(30, 10, 6)),
        startup: kplus.Probe.fromTcpSocket({ port: MONGODB_PORT, ...probeTiming(10, 5, 60) }),
      },
      resources: m.resources,
      security: { runAsUser: 999 },
      // mongod checkpoints and closes its journal on SIGTERM.
      shutdown: { terminationGracePeriodSeconds: 60 },
      imagePullSecret: props.imagePullSecret,
    });
  }
}

/**
 * WiredTiger's cache defaults to half of the node's RAM; give it half of the
 * container's limit minus 256 MiB of headroom for connections.
 */
function wiredTigerCacheGb(memoryLimit: string): number {
  const limitMib = memoryMebibytes(memoryLimit) ?? 1024;
  return Math.max(0.25, Math.floor(((limitMib - 256) / 2 / 1024) * 100) / 100);
}
