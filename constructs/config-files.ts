import { createHash } from "node:crypto";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { assertDnsLabel, assertDnsSubdomain } from "./names";

/** Props of {@link ConfigFiles}. */
export interface ConfigFilesProps {
  /** Name of the ConfigMap. */
  readonly name: string;
  /**
   * Namespace of the ConfigMap (the pods' namespace).
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** File name to file content. Non-secret content only: ConfigMaps are readable by anyone who can read the namespace. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * Labels on the ConfigMap.
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Permission bits of the mounted files. Set 0o440 for programs that warn
   * about world-readable configuration (the pod's fsGroup owns the files).
   * @default 0o644 (the Kubernetes default)
   */
  readonly fileMode?: number;
}

const FILE_NAME = /^[-._a-zA-Z0-9]{1,253}$/;

/**
 * Configuration files served from a ConfigMap and mounted read-only into
 * containers. {@link rolloutOnChange} stamps a checksum of the content on the
 * pod template, so changing a file rolls the workload instead of leaving the
 * running pods on the old configuration.
 */
export class ConfigFiles extends Construct {
  readonly configMap: kplus.ConfigMap;
  /** SHA-256 of every file name and content, stable across runs. */
  readonly checksum: string;
  private readonly volume: kplus.Volume;
  private readonly fileNames: string[];

  constructor(scope: Construct, id: string, props: ConfigFilesProps) {
    super(scope, id);
    assertDnsSubdomain("ConfigFiles name", props.name);
    if (props.namespace !== undefined) assertDnsLabel(`ConfigFiles ${props.name}: namespace`, props.namespace);
    const names = Object.keys(props.files).sort();
    if (names.length === 0) throw new Error(`ConfigFiles ${props.name}: files: got none; allowed: at least one file`);
    for (const name of names) {
      if (!FILE_NAME.test(name) || name === "." || name === "..") {
        throw new Error(`ConfigFiles ${props.name}: files: got file name ${JSON.stringify(name)}; allowed: letters, digits, '-', '_' and '.'`);
      }
    }
    this.fileNames = names;
    const hash = createHash("sha256");
    for (const name of names) hash.update(name).update("\0").update(props.files[name]).update("\0");
    this.checksum = hash.digest("hex");
    this.configMap = new kplus.ConfigMap(this, "ConfigMap", {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      data: { ...props.files },
    });
    const mode = props.fileMode;
    if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o777)) {
      throw new Error(`ConfigFiles ${props.name}: fileMode: got ${JSON.stringify(mode)}; allowed: permission bits from 0 to 0o777`);
    }
    this.volume = kplus.Volume.fromConfigMap(this, "Volume", this.configMap, { name: props.name, defaultMode: mode });
  }

  /** Mounts every file into `directory` of `container`, read-only. */
  mount(container: kplus.Container, directory: string): void {
    if (!/^\/[A-Za-z0-9._/-]*$/.test(directory)) {
      throw new Error(`ConfigFiles ${this.configMap.name}: mount directory: got ${JSON.stringify(directory)}; allowed: an absolute path`);
    }
    container.mount(directory, this.volume, { readOnly: true });
  }

  /**
   * Mounts one file at `filePath` of `container`, read-only, leaving the rest
   * of its directory as the image has it. Such a mount does not follow
   * ConfigMap updates: pair it with {@link rolloutOnChange}.
   */
  mountFile(container: kplus.Container, fileName: string, filePath: string): void {
    if (!this.fileNames.includes(fileName)) {
      throw new Error(`ConfigFiles ${this.configMap.name}: mountFile: got ${JSON.stringify(fileName)}; allowed: one of ${this.fileNames.join(", ")}`);
    }
    if (!/^\/[A-Za-z0-9._/-]*[^/]$/.test(filePath)) {
      throw new Error(`ConfigFiles ${this.configMap.name}: mountFile path: got ${JSON.stringify(filePath)}; allowed: an absolute file path`);
    }
    container.mount(filePath, this.volume, { readOnly: true, subPath: fileName });
  }

  /** Adds `checksum/<configmap>` to the pod template of `workload`. */
  rolloutOnChange(workload: kplus.Workload): void {
    workload.podMetadata.addAnnotation(`checksum/${this.configMap.name}`, this.checksum);
  }
}
