import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { DASK_PART_OF } from "./names";
import type { DaskDataValues } from "./values";

/** Props of {@link ArlData}. */
export interface ArlDataProps {
  /** Namespace of the claim. */
  readonly namespace: string;
  /** Name of the claim the workers and the notebook mount. */
  readonly claimName: string;
  /** The `dask.data` values: an NFS export, or the size and class of an EBS volume. */
  readonly values: DaskDataValues;
}

/**
 * The ARL test data behind /arl/data: a claim bound to a static, read-only
 * NFS PersistentVolume, or (no NFS server) a claim provisioned on EBS.
 */
export class ArlData extends Construct {
  readonly claim: k8s.KubePersistentVolumeClaim;
  /** The statically bound NFS volume; undefined on EBS. */
  readonly nfsVolume?: k8s.KubePersistentVolume;

  constructor(scope: Construct, id: string, props: ArlDataProps) {
    super(scope, id);
    const d = props.values;
    const { namespace, claimName } = props;
    const labels = { "app.kubernetes.io/name": "arl-data", "app.kubernetes.io/part-of": DASK_PART_OF };
    if (d.kind === "ebs") {
      this.claim = new k8s.KubePersistentVolumeClaim(this, "Claim", {
        metadata: { name: claimName, namespace, labels },
        spec: {
          // EBS offers no ReadOnlyMany: the pods that mount it share one node.
          accessModes: ["ReadWriteOnce"],
          storageClassName: d.storageClass,
          resources: { requests: { storage: k8s.Quantity.fromString(d.size) } },
        },
      });
      return;
    }
    // PersistentVolumes are cluster-scoped: prefix with the namespace to keep the name unique.
    const pvName = `${namespace}-arl-data`;
    this.nfsVolume = new k8s.KubePersistentVolume(this, "NfsVolume", {
      metadata: { name: pvName, labels },
      spec: {
        capacity: { storage: k8s.Quantity.fromString(d.size) },
        accessModes: ["ReadOnlyMany"],
        persistentVolumeReclaimPolicy: "Retain",
        // Empty class: bound only to the claim below, never by a provisioner.
        storageClassName: "",
        mountOptions: d.mountOptions,
        nfs: { server: d.server, path: d.path, readOnly: true },
        claimRef: { namespace, name: claimName },
      },
    });
    this.claim = new k8s.KubePersistentVolumeClaim(this, "Claim", {
      metadata: { name: claimName, namespace, labels },
      spec: {
        accessModes: ["ReadOnlyMany"],
        storageClassName: "",
        volumeName: pvName,
        resources: { requests: { storage: k8s.Quantity.fromString(d.size) } },
      },
    });
  }
}
