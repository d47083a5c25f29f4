/** Role trust policies (who may assume a role). Pure. */

export interface TrustPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Principal: { readonly Service: string };
    readonly Action: string[];
  }[];
}

/**
 * Lets EC2 instances assume the role through their instance profile. The service
 * principal is formed from the partition's DNS suffix (`amazonaws.com`,
 * `amazonaws.com.cn`, ...).
 */
export function ec2AssumeRolePolicy(dnsSuffix: string): TrustPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Ec2InstancesAssumeRole", Effect: "Allow", Principal: { Service: `ec2.${dnsSuffix}` }, Action: ["sts:AssumeRole"] },
    ],
  };
}
