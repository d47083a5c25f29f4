/**
 * Shared Pulumi mock harness for unit tests of components and of the program.
 *
 * Usage (the harness must be installed before the code under test is imported):
 *
 *   import { installPulumiMocks, validStackConfig } from "./pulumi-mocks";
 *   const mocks = installPulumiMocks({ config: validStackConfig() });
 *   import { Network } from "../../../infra/aws/network";          // after the call
 *   ...
 *   await mocks.settle();
 *   expect(mocks.ofType("aws:ec2/subnet:Subnet")).toHaveLength(2);
 *
 * Every registered resource (custom and component) is recorded with its type,
 * name and inputs; every data-source call with its token and inputs. Data sources
 * the platform uses answer with realistic values (see `answerCall`).
 *
 * The API (names and shapes exported here) is relied on by several test files:
 * extend it, do not change it.
 */
import * as pulumi from "@pulumi/pulumi";
import { mockPublicKeyPem } from "./tls-mocks";

export const TEST_PROJECT = "kubeadm-aws-platform";
export const TEST_STACK = "unit";
export const TEST_ACCOUNT = "123456789012";
export const TEST_REGION = "us-east-1";
/** Six zones, like us-east-1; tests can pass fewer through `availabilityZones`. */
export const TEST_AZS = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];
export const TEST_AMI = "ami-0123456789abcdef0";
/**
 * Instance types the mock region offers (getInstanceTypeOfferings answers from these,
 * `*` in a filter value matching like AWS's): the families the tests and the README use.
 */
export const TEST_INSTANCE_TYPES: readonly string[] = [
  ...["t3", "t3a", "m5", "m6i", "m7i", "c5", "c6i", "r5", "r6i"].flatMap((f) =>
    ["medium", "large", "xlarge", "2xlarge", "4xlarge"].map((s) => `${f}.${s}`).filter((t) => !/^(m|c|r)\d+i?\.medium$/.test(t)),
  ),
  ...["t4g", "m7g", "c7g"].flatMap((f) => ["medium", "large", "xlarge"].map((s) => `${f}.${s}`)),
  "t3.micro",
  "t3.small",
  "g5.xlarge",
  "g6.xlarge",
];

/** What the mock account and region answer to the program's lookups. */
export interface RegionFacts {
  /** Zones `getAvailabilityZones` reports as available. @default TEST_AZS */
  readonly availabilityZones?: readonly string[];
  /** Types `getInstanceTypeOfferings` reports. @default TEST_INSTANCE_TYPES */
  readonly instanceTypes?: readonly string[];
  /**
   * Images `getAmi` finds by `image-id`, with their architecture; any other id fails as
   * AWS's "query returned no results" does. @default unset: every id answers as TEST_AMI
   */
  readonly images?: Readonly<Record<string, "x86_64" | "arm64">>;
}

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Inputs as the program declared them (Outputs resolved). */
  readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** State returned to the program (inputs plus mocked computed attributes). */
  readonly state: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly id: string | undefined;
  /** false for ComponentResources. */
  readonly custom: boolean;
}

export interface RecordedCall {
  readonly token: string;
  readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface MockOptions {
  /** Project-namespace stack config (keys without prefix). Non-string values are sent as JSON, as Pulumi does. */
  readonly config?: Record<string, unknown>;
  /** `aws:region`. @default TEST_REGION */
  readonly region?: string;
  /** Zones `getAvailabilityZones` reports as available. @default TEST_AZS */
  readonly availabilityZones?: readonly string[];
  /** Types `getInstanceTypeOfferings` reports. @default TEST_INSTANCE_TYPES */
  readonly instanceTypes?: readonly string[];
  /** Images `getAmi` finds by `image-id` (see {@link RegionFacts}). */
  readonly images?: RegionFacts["images"];
  /** Extra or overriding data-source answers, by token. */
  readonly calls?: Readonly<Record<string, (inputs: Record<string, any>) => Record<string, any>>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Extra computed attributes for a resource; merged over the defaults. */
  readonly resourceState?: (r: { type: string; name: string; inputs: Record<string, any> }) => Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Run as `pulumi preview` (unknown computed values). @default false */
  readonly preview?: boolean;
}

/** A configuration that passes validation; tests override single keys to break it. */
export function validStackConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clusterName: "demo",
    apiAllowedCidrs: ["203.0.113.7/32"],
    ...overrides,
  };
}

export class PulumiMockHarness {
  readonly resources: RecordedResource[] = [];
  readonly calls: RecordedCall[] = [];
  /** Overrides of the options' region facts, for tests that change them between runs. */
  private facts: RegionFacts = {};

  constructor(private readonly options: MockOptions) {}

  /** Replaces what the lookups answer (unset fields fall back to the options, then the defaults). */
  setRegionFacts(facts: RegionFacts): void {
    this.facts = facts;
  }

  /** All recorded resources of one type token, e.g. `aws:ec2/vpc:Vpc`. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The single resource of `type` (optionally whose name contains `nameContains`); throws otherwise. */
  one(type: string, nameContains?: string): RecordedResource {
    const found = this.ofType(type).filter((r) => nameContains === undefined || r.name.includes(nameContains));
    if (found.length !== 1) {
      throw new Error(`expected one ${type}${nameContains ? ` named *${nameContains}*` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    }
    return found[0];
  }

  /** Forgets what was recorded (between tests that build independent stacks) and the region facts set since. */
  reset(): void {
    this.resources.length = 0;
    this.calls.length = 0;
    this.facts = {};
  }

  /**
   * Replaces the stack configuration (project keys without prefix). `aws:region` is
   * the harness's region unless a second argument is given (`undefined` leaves it unset).
   */
  setConfig(config: Record<string, unknown>, ...regionArg: [string | undefined] | []): void {
    const region = regionArg.length === 0 ? (this.options.region ?? TEST_REGION) : regionArg[0];
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
      if (v !== undefined) all[`${TEST_PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    if (region !== undefined) all["aws:region"] = region;
    pulumi.runtime.setAllConfig(all);
  }

  /** Waits until every pending registration (including those made inside applies) has been answered. */
  async settle(): Promise<void> {
    // waitForRPCs is internal to the SDK but exported; it is what `disconnect` awaits.
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }; // eslint-disable-line @typescript-eslint/no-require-imports
    let stableRounds = 0;
    let last = -1;
    while (stableRounds < 3) {
      await settings.waitForRPCs();
      await new Promise((r) => setImmediate(r));
      const count = this.resources.length + this.calls.length;
      stableRounds = count === last ? stableRounds + 1 : 0;
      last = count;
    }
  }

  answerCall(token: string, inputs: Record<string, any>): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const region = this.options.region ?? TEST_REGION;
    const custom = this.options.calls?.[token];
    if (custom) return custom(inputs);
    switch (token) {
      case "aws:index/getAvailabilityZones:getAvailabilityZones": {
        const names = [...(this.facts.availabilityZones ?? this.options.availabilityZones ?? TEST_AZS)];
        return { id: region, names, zoneIds: names.map((_, i) => `use1-az${i + 1}`), groupNames: [region] };
      }
      case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": {
        const offered = this.facts.instanceTypes ?? this.options.instanceTypes ?? TEST_INSTANCE_TYPES;
        const patterns = ((inputs.filters ?? []) as { name: string; values: string[] }[])
          .filter((f) => f.name === "instance-type")
          .flatMap((f) => f.values.map((v) => new RegExp(`^${v.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`)));
        const instanceTypes = offered.filter((t) => patterns.length === 0 || patterns.some((p) => p.test(t)));
        return { id: region, instanceTypes, locationTypes: instanceTypes.map(() => "region"), locations: instanceTypes.map(() => region) };
      }
      case "aws:ec2/getAmi:getAmi": {
        const images = this.facts.images ?? this.options.images;
        const byId = ((inputs.filters ?? []) as { name: string; values: string[] }[]).find((f) => f.name === "image-id")?.values[0];
        if (images && byId !== undefined) {
          const architecture = images[byId];
          if (!architecture) throw new Error("Your query returned no results. Please change your search criteria and try again.");
          return { id: byId, imageId: byId, architecture, name: `custom-${byId}`, ownerId: TEST_ACCOUNT, rootDeviceName: "/dev/xvda" };
        }
        return {
          id: TEST_AMI,
          imageId: TEST_AMI,
          architecture: "x86_64",
          name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260101",
          ownerId: "099720109477",
          rootDeviceName: "/dev/sda1",
        };
      }
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { id: TEST_ACCOUNT, accountId: TEST_ACCOUNT, arn: `arn:aws:iam::${TEST_ACCOUNT}:user/unit`, userId: "AIDAUNIT" };
      case "aws:index/getPartition:getPartition":
        return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
      case "aws:index/getRegion:getRegion":
        return { id: region, name: region, region, description: "US East (N. Virginia)", endpoint: `ec2.${region}.amazonaws.com` };
      default:
        return {};
    }
  }

  resourceState(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } { // eslint-disable-line @typescript-eslint/no-explicit-any
    const region = this.options.region ?? TEST_REGION;
    const [, module = "", kind = ""] = type.split(/[:/]/);
    const service = module.split("/")[0];
    const id = inputs.name ?? `${name}-id`;
    const state: Record<string, any> = { ...inputs }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const regional = service === "iam" || service === "s3" ? "" : region;
    const account = service === "s3" ? "" : TEST_ACCOUNT;
    state.arn = inputs.arn ?? `arn:aws:${service}:${regional}:${account}:${kind.toLowerCase()}/${id}`;
    if (service === "iam") state.name = inputs.name ?? name;
    if (type === "aws:iam/role:Role") state.arn = `arn:aws:iam::${TEST_ACCOUNT}:role/${state.name}`;
    if (type === "aws:iam/instanceProfile:InstanceProfile") state.arn = `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/${state.name}`;
    if (type.startsWith("aws:s3/bucket")) {
      state.bucket = inputs.bucket ?? `${name}-bucket`;
      state.arn = `arn:aws:s3:::${state.bucket}`;
    }
    if (type === "aws:secretsmanager/secret:Secret") {
      state.name = inputs.name ?? name;
      state.arn = `arn:aws:secretsmanager:${region}:${TEST_ACCOUNT}:secret:${state.name}-AbCdEf`;
    }
    if (type === "aws:kms/key:Key") state.arn = `arn:aws:kms:${region}:${TEST_ACCOUNT}:key/${name}-key-id`;
    if (type === "aws:ec2/instance:Instance") {
      state.privateIp = "10.0.0.10";
      state.privateDns = `ip-10-0-0-10.ec2.internal`;
      state.publicIp = "198.51.100.10";
    }
    if (type === "aws:ec2/eip:Eip") {
      state.publicIp = "198.51.100.20";
      state.publicDns = "ec2-198-51-100-20.compute-1.amazonaws.com";
    }
    // @pulumi/tls: syntactically PEM-shaped placeholders, so rendering code runs; no real private keys.
    if (type === "tls:index/privateKey:PrivateKey") {
      state.privateKeyPem = fakePem("RSA PRIVATE KEY", name);
      state.privateKeyPemPkcs8 = fakePem("PRIVATE KEY", name);
      // A real public key: the service-account issuer turns it into its JWKS.
      state.publicKeyPem = mockPublicKeyPem(name);
      state.publicKeyOpenssh = `ssh-rsa ${Buffer.from(name).toString("base64")}`;
    }
    if (type === "tls:index/selfSignedCert:SelfSignedCert" || type === "tls:index/locallySignedCert:LocallySignedCert") {
      state.certPem = fakePem("CERTIFICATE", name);
    }
    if (type === "tls:index/certRequest:CertRequest") state.certRequestPem = fakePem("CERTIFICATE REQUEST", name);
    if (type.startsWith("random:index/random")) state.result = `mock-${name}`;
    // A stack reading its own outputs (e.g. the running Kubernetes version): a new stack has none.
    if (type === "pulumi:pulumi:StackReference") state.outputs = inputs.outputs ?? {};
    // RandomBytes: as many (fixed) bytes as asked for, in both encodings the provider outputs.
    if (type === "random:index/randomBytes:RandomBytes") {
      const bytes = Buffer.alloc(Number(inputs.length ?? 32), name.length);
      Object.assign(state, { base64: bytes.toString("base64"), hex: bytes.toString("hex") });
    }
    const extra = this.options.resourceState?.({ type, name, inputs });
    return { id: state.id ?? `${name}-id`, state: { ...state, ...extra } };
  }
}

function fakePem(label: string, name: string): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(`mock ${label} ${name}`).toString("base64")}\n-----END ${label}-----\n`;
}

/**
 * Installs Pulumi mocks and the stack configuration; returns the recorder.
 * Call it before importing the code under test.
 */
export function installPulumiMocks(options: MockOptions = {}): PulumiMockHarness {
  const harness = new PulumiMockHarness(options);
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const { id, state } = harness.resourceState(args.type, args.name, args.inputs);
        harness.resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, id, custom: args.custom ?? true });
        return { id: args.custom === false ? undefined : id, state };
      },
      call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        harness.calls.push({ token: args.token, inputs: args.inputs });
        return harness.answerCall(args.token, args.inputs);
      },
    },
    TEST_PROJECT,
    TEST_STACK,
    options.preview ?? false,
  );
  harness.setConfig(options.config ?? validStackConfig());
  return harness;
}

/** The resolved value of an Output (mocks resolve everything when not previewing). */
export function valueOf<T>(output: pulumi.Input<T> | pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}
