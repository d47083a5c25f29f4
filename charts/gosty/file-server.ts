import { Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { HeadlessService } from "../../constructs/headless-service";
import { Microservice } from "../../constructs/microservice";
import { assertDnsSubdomain } from "../../constructs/names";
import { memoryMebibytes } from "../../constructs/resources";
import { GostyAppCommonProps } from "./app-env";
import { GOSTY_NAMES, gostyLabels, gostyPods } from "./common";
import { commandFlags } from "../image-contract";
import { GOSTY_FILESERVER_CONTRACT } from "./image-contracts";
import type { GostyValues } from "./values";

export const FILE_SERVER_PORT = 8001;
/** Headless Service whose DNS name the API server's readiness check resolves (hard-coded upstream). */
export const FILE_SERVER_HEADLESS = "gosty-fileserver-headless";
/** Where the file server keeps uploaded and transcoded files. */
export const FILE_SERVER_STORAGE_PATH = "/app/storage";

/** Props of {@link FileServer}. Plain data only. */
export interface FileServerProps {
  /** Namespace, settings, credentials and pull secret shared by Gosty's services. */
  readonly common: GostyAppCommonProps;
  /** The `gosty.fileServer` values (already validated by the values parser). */
  readonly values: GostyValues["fileServer"];
  /** StorageClass of the files' volume. */
  readonly storageClass: string;
}

/**
 * Gosty's file server (`gosty-fileserver`): one pod with the ReadWriteOnce
 * claim `gosty-fileserver-storage` for uploaded and transcoded files.
 */
export class FileServer extends Construct {
  readonly microservice: Microservice;
  readonly headless: HeadlessService;
  readonly claim: kplus.PersistentVolumeClaim;

  constructor(scope: Construct, id: string, props: FileServerProps) {
    super(scope, id);
    assertDnsSubdomain("FileServer storageClass", props.storageClass);
    const v = props.values;
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      ...props.common,
      name: GOSTY_NAMES.fileServer,
      image: v.image,
      // The image's CMD starts sshd first, which cannot run as a non-root UID
      // without capabilities; sshd only served the multi-replica lsyncd sync,
      // and one replica owns the volume here. Run the file server alone.
      args: fileServerCommand(),
      port: FILE_SERVER_PORT,
      // The API server stores uploads here; the workers fetch and store videos
      // (their readiness check asks the file server too).
      callers: [
        { peer: gostyPods(GOSTY_NAMES.apiServer), ports: [FILE_SERVER_PORT] },
        { peer: gostyPods(GOSTY_NAMES.worker), ports: [FILE_SERVER_PORT] },
      ],
      healthPort: v.health.port,
      readinessPath: v.health.readinessPath,
      livenessPath: v.health.livenessPath,
      resources: v.resources,
      // One pod owns the ReadWriteOnce volume; uploads finish within the grace period.
      replicas: 1,
      // A rolling update could start the new pod on another node, where it
      // would wait forever for the volume the old pod holds.
      strategy: kplus.DeploymentStrategy.recreate(),
      shutdown: { terminationGracePeriodSeconds: 120 },
    });
    this.claim = new kplus.PersistentVolumeClaim(this, "Storage", {
      metadata: { name: "gosty-fileserver-storage", namespace: props.common.namespace, labels: gostyLabels() },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.mebibytes(memoryMebibytes(v.storageSize) ?? 0),
      storageClassName: props.storageClass,
    });
    // The API server is Ready only once this name resolves (its upstream
    // readiness check asks for gosty-fileserver-headless.gosty.svc.cluster.local).
    this.headless = new HeadlessService(this, "Headless", {
      name: FILE_SERVER_HEADLESS,
      namespace: props.common.namespace,
      labels: gostyLabels(),
      selector: this.microservice.selectorLabels,
      ports: [{ name: "http", port: FILE_SERVER_PORT }],
    });
    this.microservice.deployment.containers[0].mount(
      FILE_SERVER_STORAGE_PATH,
      kplus.Volume.fromPersistentVolumeClaim(this, "StorageVolume", this.claim, { name: "storage" }),
    );
  }
}

/** The file server binary alone (no flags: it reads PORT and STORAGE from the environment). */
function fileServerCommand(): string[] {
  const argv = ["./fileserver"];
  commandFlags(GOSTY_FILESERVER_CONTRACT, argv);
  return argv;
}
