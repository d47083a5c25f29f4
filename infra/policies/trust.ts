/** Role trust policies (who may assume a role). Pure. */
import { STS_AUDIENCE } from "../../lib/aws-web-identity";

export { STS_AUDIENCE };

/** A trust statement: one principal, the action that lets it in, and the conditions that narrow it. */
export interface TrustStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Principal: { readonly Service: string } | { readonly Federated: string };
  readonly Action: string[];
  readonly Condition?: Record<string, Record<string, string>>;
}

export interface TrustPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: TrustStatement[];
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

/** A Kubernetes service account, by namespace and name. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** The `sub` claim kube-apiserver puts in a service account's tokens. */
export function serviceAccountSubject(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

/** The issuer as IAM names it in condition keys and provider ARNs: the URL without `https://`. */
export function issuerHostPath(issuerUrl: string): string {
  if (!/^https:\/\/[^/\s]+(\/[^\s]*)?$/.test(issuerUrl) || issuerUrl.endsWith("/")) {
    throw new Error(`service-account issuer must be https://host[/path] without a trailing '/', got '${issuerUrl}'`);
  }
  return issuerUrl.slice("https://".length);
}

export interface ServiceAccountTrustInputs {
  /** ARN of the IAM OIDC provider of the cluster's service-account issuer. */
  readonly providerArn: string;
  /** The issuer URL (`--service-account-issuer`), `https://...`. */
  readonly issuerUrl: string;
  readonly serviceAccount: ServiceAccountRef;
}

/**
 * Lets exactly one service account assume the role with a token the cluster's issuer
 * signed for STS (IAM roles for service accounts, as EKS and kOps do it). StringEquals
 * on both `sub` and `aud`: a StringLike or a missing `sub` would let every service
 * account of the cluster, or tokens meant for another audience, in.
 */
export function serviceAccountTrustPolicy(i: ServiceAccountTrustInputs): TrustPolicyDocument {
  const issuer = issuerHostPath(i.issuerUrl);
  const sa = i.serviceAccount;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(sa.namespace) || !/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(sa.name)) {
    throw new Error(`service account '${sa.namespace}/${sa.name}' is not a valid namespace/name`);
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ServiceAccountAssumesRoleWithWebIdentity",
        Effect: "Allow",
        Principal: { Federated: i.providerArn },
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Condition: {
          StringEquals: { [`${issuer}:sub`]: serviceAccountSubject(sa), [`${issuer}:aud`]: STS_AUDIENCE },
        },
      },
    ],
  };
}
