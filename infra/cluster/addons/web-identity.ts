/**
 * The add-ons that call AWS get their own roles (infra/aws/identity.ts) the same way
 * the charts' pods do (lib/aws-web-identity.ts): a projected token for STS and
 * AWS_ROLE_ARN. The EBS CSI and cluster-autoscaler charts take extra env, volumes and
 * mounts as values; the termination handler's queue-mode Deployment has no such value,
 * so a server-side-apply patch adds them to its one container after the chart (its
 * own fields, keyed by name, which the chart's apply leaves alone). No mutating
 * webhook runs in the cluster. Pure, except the patch resource.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { webIdentityEnv, webIdentityVolume, webIdentityVolumeMount } from "../../../lib/aws-web-identity";
import type { Values } from "./values";

/** `controller.env`, `controller.volumes`, `controller.volumeMounts` of the EBS CSI chart (the `ebs-plugin` container). */
export function ebsCsiControllerWebIdentity(roleArn: string): Values {
  return { env: webIdentityEnv(roleArn), volumes: [webIdentityVolume()], volumeMounts: [webIdentityVolumeMount()] };
}

/** `extraEnv` (a map), `extraVolumes`, `extraVolumeMounts` of the cluster-autoscaler chart. */
export function clusterAutoscalerWebIdentity(roleArn: string): Values {
  return {
    extraEnv: Object.fromEntries(webIdentityEnv(roleArn).map((e) => [e.name, e.value])),
    extraVolumes: [webIdentityVolume()],
    extraVolumeMounts: [webIdentityVolumeMount()],
  };
}

/** Deployment and container of aws-node-termination-handler in queue mode (the chart's fullname is the release name). */
export const TERMINATION_HANDLER_WORKLOAD = { deployment: "aws-node-termination-handler", container: "aws-node-termination-handler" } as const;

/** The fields the patch applies to the handler's Deployment. Pure. */
export function terminationHandlerPatchSpec(roleArn: string) {
  return {
    template: {
      spec: {
        volumes: [webIdentityVolume()],
        containers: [{ name: TERMINATION_HANDLER_WORKLOAD.container, env: webIdentityEnv(roleArn), volumeMounts: [webIdentityVolumeMount()] }],
      },
    },
  };
}

/** Patches the handler's Deployment (in `namespace`) once `chart` exists. */
export function patchTerminationHandler(
  name: string,
  namespace: string,
  roleArn: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.DeploymentPatch {
  return new k8s.apps.v1.DeploymentPatch(
    name,
    {
      metadata: {
        name: TERMINATION_HANDLER_WORKLOAD.deployment,
        namespace,
        // Server-side apply: this manager owns only the entries it adds.
        annotations: { "pulumi.com/patchFieldManager": "platform-web-identity" },
      },
      spec: pulumi.output(roleArn).apply(terminationHandlerPatchSpec) as unknown as k8s.types.input.apps.v1.DeploymentSpecPatch,
    },
    opts,
  );
}
