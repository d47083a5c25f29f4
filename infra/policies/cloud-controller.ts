/**
 * The AWS cloud controller manager's permissions (control-plane role), following
 * the policy documented at kubernetes.github.io/cloud-provider-aws/prerequisites
 * and scoped to this cluster where the APIs allow it. Pure.
 *
 * Left out of the documented list on purpose: the EBS volume actions
 * (CreateVolume, AttachVolume, ModifyVolume, ...). They served the in-tree volume
 * plugin, which the external cloud controller manager no longer contains; the
 * EBS CSI driver has its own, tag-scoped statements (ebs-csi.ts). Also left out:
 * the route controller's CreateRoute/DeleteRoute and ModifyInstanceAttribute (source/
 * destination check). Cloud routes are off (`--configure-cloud-routes=false`, Calico
 * carries pod traffic in VXLAN) and the route table carries the cluster tag, so the
 * tag condition would have let the role delete the subnet's internet route.
 */
import { AccountContext, ec2Arn, ownedByCluster, policy, PolicyDocument, taggedForCluster } from "./document";

export interface CloudControllerContext extends AccountContext {
  /** The cluster's VPC: new load-balancer security groups may only be created in it. */
  readonly vpcId: string;
}

export function cloudControllerManagerPolicy(ctx: CloudControllerContext): PolicyDocument {
  const elb = (resource: string) => `arn:${ctx.partition}:elasticloadbalancing:${ctx.region}:${ctx.accountId}:${resource}`;
  return policy(
    {
      // Describe/read calls: these APIs have no resource-level permissions.
      Sid: "DescribeClusterInfrastructure",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeTags",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        // Network-topology node labels (newer releases log a 403 without it).
        "ec2:DescribeInstanceTopology",
        "ec2:DescribeRegions",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancerPolicies",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
      ],
      Resource: "*",
    },
    {
      Sid: "CreateLoadBalancerSecurityGroupsInClusterVpc",
      Effect: "Allow",
      Action: ["ec2:CreateSecurityGroup"],
      Resource: [ec2Arn(ctx, `vpc/${ctx.vpcId}`), ec2Arn(ctx, "security-group/*")],
    },
    {
      // The controller tags every group it creates with the cluster tag.
      Sid: "TagSecurityGroupsAsCluster",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: ec2Arn(ctx, "security-group/*"),
      Condition: taggedForCluster(ctx),
    },
    {
      // Node groups and the controller's own load-balancer groups all carry the cluster tag.
      Sid: "ManageClusterSecurityGroups",
      Effect: "Allow",
      Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
      Resource: ec2Arn(ctx, "security-group/*"),
      Condition: ownedByCluster(ctx),
    },
    {
      // Load balancer names are hashes chosen by the controller, so the scope is
      // this account and region. No tag condition: not every ELBv2 object the
      // controller creates (listeners, target groups) is tagged in the create
      // call, and a refused delete would leave load balancers behind on teardown.
      Sid: "ManageServiceLoadBalancers",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
        "elasticloadbalancing:AttachLoadBalancerToSubnets",
        "elasticloadbalancing:ConfigureHealthCheck",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateLoadBalancerListeners",
        "elasticloadbalancing:CreateLoadBalancerPolicy",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteLoadBalancerListeners",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
        "elasticloadbalancing:DeregisterTargets",
        "elasticloadbalancing:DetachLoadBalancerFromSubnets",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
        "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
      ],
      Resource: [elb("loadbalancer/*"), elb("targetgroup/*"), elb("listener/*")],
    },
    {
      // The first load balancer of an account needs Elastic Load Balancing's service-linked role.
      Sid: "CreateElbServiceLinkedRole",
      Effect: "Allow",
      Action: ["iam:CreateServiceLinkedRole"],
      Resource: `arn:${ctx.partition}:iam::${ctx.accountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
      Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
    },
  );
}
