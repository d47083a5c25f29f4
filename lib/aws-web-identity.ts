/**
 * How a pod reaches its own IAM role: a projected service-account token for the
 * `sts.amazonaws.com` audience, and the two variables every AWS SDK reads to call
 * `sts:AssumeRoleWithWebIdentity` with it (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE).
 * The same volume, path and variables as EKS's pod identity webhook writes, so SDK
 * documentation applies unchanged, but written into the pod spec when it is declared (by
 * the constructs for the charts, by chart values or a server-side-apply patch for the
 * add-on Helm charts, infra/cluster/addons/web-identity.ts) rather than by a mutating webhook: there is no webhook to run, to secure with its own
 * certificate, or to be down when a pod is created (which would start the pod without
 * credentials). Plain Kubernetes JSON; pure.
 */

/** The audience STS requires (the IAM OIDC provider's client ID). */
export const STS_AUDIENCE = "sts.amazonaws.com";
export const WEB_IDENTITY_VOLUME = "aws-iam-token";
/** Where the token is mounted: EKS's path. */
export const WEB_IDENTITY_TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
export const WEB_IDENTITY_TOKEN_FILE = `${WEB_IDENTITY_TOKEN_DIR}/token`;
/** The kubelet refreshes the token at 80 % of its life; SDKs re-read the file. EKS's default. */
export const WEB_IDENTITY_TOKEN_SECONDS = 86400;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

export interface ProjectedTokenVolume {
  readonly name: string;
  readonly projected: {
    readonly sources: { readonly serviceAccountToken: { readonly audience: string; readonly expirationSeconds: number; readonly path: string } }[];
  };
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
}

/** The projected token volume. */
export function webIdentityVolume(): ProjectedTokenVolume {
  return {
    name: WEB_IDENTITY_VOLUME,
    projected: { sources: [{ serviceAccountToken: { audience: STS_AUDIENCE, expirationSeconds: WEB_IDENTITY_TOKEN_SECONDS, path: "token" } }] },
  };
}

export function webIdentityVolumeMount(): VolumeMount {
  return { name: WEB_IDENTITY_VOLUME, mountPath: WEB_IDENTITY_TOKEN_DIR, readOnly: true };
}

/** The SDK variables for `roleArn`; regional STS endpoints (the global one is a single region's dependency). */
export function webIdentityEnv(roleArn: string): EnvVar[] {
  if (!ROLE_ARN.test(roleArn)) throw new Error(`AWS role ARN '${roleArn}' is not an IAM role ARN`);
  return [
    { name: "AWS_ROLE_ARN", value: roleArn },
    { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: WEB_IDENTITY_TOKEN_FILE },
    { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
  ];
}

interface ContainerLike {
  readonly name: string;
  readonly env?: readonly unknown[];
  readonly volumeMounts?: readonly unknown[];
}

/** Any pod spec: plain JSON, or cdk8s' typed `PodSpec`. */
export interface PodSpecLike {
  readonly containers: readonly ContainerLike[];
  readonly volumes?: readonly unknown[];
}

/**
 * `spec` with the token volume, and the mount and variables on `containers` (by name;
 * every container when omitted). A container or volume that already carries them is
 * an error: two sources for one credential would hide which one is used.
 */
export function withWebIdentity<S extends PodSpecLike>(spec: S, roleArn: string, containers?: readonly string[]): S {
  const env = webIdentityEnv(roleArn);
  const names = new Set(containers ?? spec.containers.map((c) => c.name));
  for (const n of names) {
    if (!spec.containers.some((c) => c.name === n)) throw new Error(`no container '${n}' to give AWS credentials to`);
  }
  if ((spec.volumes ?? []).some((v) => (v as { name?: string }).name === WEB_IDENTITY_VOLUME)) {
    throw new Error(`pod already has a volume named ${WEB_IDENTITY_VOLUME}`);
  }
  return {
    ...spec,
    volumes: [...(spec.volumes ?? []), webIdentityVolume()],
    containers: spec.containers.map((c) => {
      if (!names.has(c.name)) return c;
      const existing = (c.env ?? []).map((e) => (e as { name?: string }).name);
      const clash = env.find((e) => existing.includes(e.name));
      if (clash) throw new Error(`container '${c.name}' already sets ${clash.name}`);
      return { ...c, env: [...(c.env ?? []), ...env], volumeMounts: [...(c.volumeMounts ?? []), webIdentityVolumeMount()] };
    }),
  };
}
