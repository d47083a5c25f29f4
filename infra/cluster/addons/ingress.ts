/**
 * The ingress controller's LoadBalancer Service (an AWS Network Load Balancer made by
 * the cloud controller manager), declared apart from the controller's chart.
 *
 * Why apart: on `pulumi destroy` this Service must go first, while the cloud
 * controller manager still runs and deletes the NLB (the Service's finalizer holds
 * its deletion until it has). It therefore depends on the teardown step (deleted
 * before it), which depends on the add-ons (deleted after it); inside the chart it
 * would be deleted together with the add-ons, after the teardown step.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INGRESS_SELECTOR_LABELS, INGRESS_SERVICE_NAME } from "./values";
import { ADDON_VERSIONS } from "./versions";

/** Annotations the AWS cloud controller manager reads to build the load balancer. */
export function ingressServiceAnnotations(userTags: Readonly<Record<string, string>>): Record<string, string> {
  const annotations: Record<string, string> = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
  };
  const tags = Object.entries(userTags)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  // The CCM adds kubernetes.io/cluster/<name> itself; the user's tags make the NLB show up in cost reports.
  if (tags) annotations["service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"] = tags;
  return annotations;
}

/** The Service's spec: HTTP and HTTPS to the controller pods. Pure. */
export function ingressServiceSpec() {
  return {
    type: "LoadBalancer",
    // Client addresses reach NGINX unchanged; the NLB health-checks only nodes that run a controller pod.
    externalTrafficPolicy: "Local",
    selector: { ...INGRESS_SELECTOR_LABELS },
    ports: [
      { name: "http", port: 80, targetPort: 80, protocol: "TCP" },
      { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
    ],
  };
}

/** The load balancer's DNS name from a Service status, or undefined while AWS has not assigned it. */
export function loadBalancerHostname(status: { loadBalancer?: { ingress?: { hostname?: string; ip?: string }[] } } | undefined): string | undefined {
  const first = status?.loadBalancer?.ingress?.[0];
  return first?.hostname ?? first?.ip;
}

export interface IngressLoadBalancerArgs {
  readonly provider: k8s.Provider;
  readonly tags: Readonly<Record<string, string>>;
  /** The ingress controller's chart and the teardown step (deleted after this Service). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class IngressLoadBalancer extends pulumi.ComponentResource {
  readonly service: k8s.core.v1.Service;
  /** DNS name of the NLB (point the apps' host names at it with a CNAME). */
  readonly hostname: pulumi.Output<string | undefined>;

  constructor(name: string, args: IngressLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:IngressLoadBalancer", name, {}, opts);
    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata: {
          name: INGRESS_SERVICE_NAME,
          namespace: ADDON_VERSIONS.nginxIngress.namespace,
          annotations: ingressServiceAnnotations(args.tags),
          labels: { ...INGRESS_SELECTOR_LABELS },
        },
        spec: ingressServiceSpec(),
      },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.hostname = this.service.status.apply((s) => loadBalancerHostname(s));
    this.registerOutputs({ hostname: this.hostname });
  }
}
