/**
 * The storage, images and per-service access a chart declares, created generically
 * (infra/aws/app-storage.ts, app-images.ts, app-resources.ts) with the
 * object-detection chart's declarations, under Pulumi mocks: bucket settings and
 * lifecycle, tables with TTL, ECR repositories, builds only when enabled, the deploy
 * context and ConfigMap; the per-service policies and the storage worker policy as
 * golden files (test/golden/iam/, UPDATE_GOLDEN=1 rewrites them; parliament lints them).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installPulumiMocks, TEST_ACCOUNT, TEST_REGION, valueOf } from "../../support/pulumi-mocks";

const ECR = `${TEST_ACCOUNT}.dkr.ecr.${TEST_REGION}.amazonaws.com`;
const DIGEST = `sha256:${"b".repeat(64)}`;
const mocks = installPulumiMocks({
  resourceState: ({ type, name, inputs }) => {
    if (type === "aws:ecr/repository:Repository") return { repositoryUrl: `${ECR}/${inputs.name}`, registryId: TEST_ACCOUNT };
    if (type === "aws:dynamodb/table:Table") return { arn: `arn:aws:dynamodb:${TEST_REGION}:${TEST_ACCOUNT}:table/${inputs.name}` };
    if (type === "docker-build:index:Image") return { digest: DIGEST };
    if (type === "aws:sqs/queue:Queue") return { url: `https://sqs.${TEST_REGION}.amazonaws.com/${TEST_ACCOUNT}/${name}` };
    return undefined;
  },
  calls: {
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": () => ({ userName: "AWS", password: "mock-ecr-password", proxyEndpoint: `https://${ECR}` }),
  },
});

import type { ServiceAccess } from "../../../../charts/chart-entry";
import { objectDetectionConfigData } from "../../../../charts/object-detection/aws-config";
import { objectDetectionAwsConfig, objectDetectionWarnings } from "../../../../charts/object-detection/registration";
import {
  OBJECT_DETECTION_DEFAULTS,
  ObjectDetectionConfig,
  objectDetectionAccess,
  objectDetectionImages,
  objectDetectionMessaging,
  objectDetectionStorage,
  parseObjectDetection,
} from "../../../../charts/object-detection/stack-config";
import { defaultValues, parseValues } from "../../../../charts/values";
import { contentTag, ignoreMatcher, imageContentHash, keepLastImagesPolicy } from "../../../../infra/aws/app-images";
import { chartAwsStackOutputs, ChartAws, declareChartAws } from "../../../../infra/aws/app-resources";
import { bucketLifecycleRules } from "../../../../infra/aws/app-storage";
import { AppResourceArns, serviceAccessPolicy, storageWorkerPolicy, tlsOnlyBucketPolicy } from "../../../../infra/policies/app-access";
import { messagingWorkerPolicy } from "../../../../infra/policies/messaging";
import { ConfigError, Validator } from "../../../../lib/validate";
import { allows } from "../../support/iam-eval";
import { goldenIn } from "../../support/golden";

const expectGolden = goldenIn("iam");
const arn = (service: string, name: string) => `arn:aws:${service}:${TEST_REGION}:${TEST_ACCOUNT}:${name}`;
const EXAMPLE: AppResourceArns = {
  queues: Object.fromEntries(["jobs", "metering", "model-analyzer", "polybot"].map((k) => [k, arn("sqs", `demo-od-${k}`)])),
  topics: { "prediction-events": arn("sns", "demo-od-prediction-events") },
  buckets: { images: "arn:aws:s3:::demo-od-images-20260101000000000000000001" },
  tables: { metering: arn("dynamodb", "table/demo-od-metering"), "model-analyzer": arn("dynamodb", "table/demo-od-model-analyzer") },
};
const ACCESS = objectDetectionAccess();
const accessOf = (sa: string) => ACCESS.find((a) => a.serviceAccount === sa)!;
const BUCKET = EXAMPLE.buckets.images;
const IMAGE = `${BUCKET}/images/job-1.jpg`;

describe("per-service access (golden files)", () => {
  test.each(["polybot", "yolo5", "metering", "model-analyzer"])("%s", (sa) => expectGolden(`object-detection-${sa}.json`, serviceAccessPolicy(accessOf(sa), EXAMPLE)));
  test("storage on the worker role", () => expectGolden("object-detection-storage-worker.json", storageWorkerPolicy(ACCESS, EXAMPLE)));
  test("images bucket policy", () => expectGolden("object-detection-images-bucket-policy.json", tlsOnlyBucketPolicy(BUCKET)));

  test("each service may do exactly its part", () => {
    const can = (sa: string, action: string, resource: string) => allows([serviceAccessPolicy(accessOf(sa), EXAMPLE)], action, resource);
    const q = EXAMPLE.queues;
    const topic = EXAMPLE.topics["prediction-events"];
    // polybot: photos in, jobs out, its own events in.
    expect(can("polybot", "s3:PutObject", IMAGE)).toBe(true);
    expect(can("polybot", "s3:GetObject", IMAGE)).toBe(false);
    expect(can("polybot", "s3:PutObject", `${BUCKET}/elsewhere/x`)).toBe(false);
    expect(can("polybot", "s3:ListBucket", BUCKET)).toBe(true);
    expect(can("polybot", "sqs:SendMessage", q.jobs)).toBe(true);
    expect(can("polybot", "sqs:ReceiveMessage", q.polybot)).toBe(true);
    expect(can("polybot", "sqs:ReceiveMessage", q.metering)).toBe(false);
    expect(can("polybot", "sns:Publish", topic)).toBe(false);
    // yolo5: photos read, jobs consumed, events published.
    expect(can("yolo5", "s3:GetObject", IMAGE)).toBe(true);
    expect(can("yolo5", "s3:PutObject", IMAGE)).toBe(false);
    expect(can("yolo5", "s3:ListBucket", BUCKET)).toBe(true);
    expect(can("yolo5", "sqs:DeleteMessage", q.jobs)).toBe(true);
    expect(can("yolo5", "sqs:SendMessage", q.jobs)).toBe(false);
    expect(can("yolo5", "sns:Publish", topic)).toBe(true);
    // metering and model-analyzer: their own queue and table only; no photos (no user data for model-analyzer).
    expect(can("metering", "sqs:ReceiveMessage", q.metering)).toBe(true);
    expect(can("metering", "dynamodb:UpdateItem", EXAMPLE.tables.metering)).toBe(true);
    expect(can("metering", "dynamodb:Query", EXAMPLE.tables.metering)).toBe(true);
    expect(can("metering", "dynamodb:PutItem", EXAMPLE.tables["model-analyzer"])).toBe(false);
    expect(can("metering", "dynamodb:DeleteTable", EXAMPLE.tables.metering)).toBe(false);
    expect(can("model-analyzer", "dynamodb:Scan", EXAMPLE.tables["model-analyzer"])).toBe(true);
    expect(can("model-analyzer", "dynamodb:PutItem", EXAMPLE.tables["model-analyzer"])).toBe(false);
    expect(can("model-analyzer", "s3:GetObject", IMAGE)).toBe(false);
    expect(can("model-analyzer", "sqs:ReceiveMessage", q.metering)).toBe(false);
  });

  test("the services together need no more messaging than the chart-level worker policy grants", () => {
    const chart = [messagingWorkerPolicy(objectDetectionMessaging(OBJECT_DETECTION_DEFAULTS), EXAMPLE)];
    for (const a of ACCESS) {
      for (const s of serviceAccessPolicy(a, EXAMPLE).Statement.filter((x) => !x.Action.some((act) => /^(s3|dynamodb):/.test(act)))) {
        for (const action of s.Action) for (const r of [s.Resource].flat()) expect([a.serviceAccount, action, r, allows(chart, action, r)]).toEqual([a.serviceAccount, action, r, true]);
      }
    }
  });

  test("a key the chart does not declare is a clear error", () => {
    const bad: ServiceAccess = { serviceAccount: "x", label: "X", consumeQueues: ["nope"] };
    expect(() => serviceAccessPolicy(bad, EXAMPLE)).toThrow('service access names queue "nope", which the chart does not declare');
  });
});

describe("pure pieces", () => {
  test("images expire after a day; abandoned multipart uploads are aborted", () => {
    expect(bucketLifecycleRules(objectDetectionStorage().buckets[0])).toEqual([
      { id: "expire-images", status: "Enabled", filter: { prefix: "images/" }, expiration: { days: 1 } },
      { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
    ]);
    expect(() => bucketLifecycleRules({ key: "b", expirations: [{ prefix: "x/", days: 0 }] })).toThrow(RangeError);
  });

  test("ECR keeps the newest N images", () => {
    expect(keepLastImagesPolicy(10)).toEqual({
      rules: [{ rulePriority: 1, description: "Keep the newest 10 images", selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 }, action: { type: "expire" } }],
    });
    expect(() => keepLastImagesPolicy(0)).toThrow(RangeError);
  });

  describe("content hash", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "od-hash-"));
      fs.mkdirSync(path.join(dir, "svc", "src"), { recursive: true });
      fs.mkdirSync(path.join(dir, "node_modules", "x"), { recursive: true });
      fs.writeFileSync(path.join(dir, ".dockerignore"), "node_modules\n**/*.md\n");
      fs.writeFileSync(path.join(dir, "svc", "Dockerfile"), "FROM scratch\n");
      fs.writeFileSync(path.join(dir, "svc", "src", "main.ts"), "console.log(1);\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const img = { key: "svc", dockerfile: "svc/Dockerfile" };

    test("changes with the source, the build arguments and the platform, not with ignored files", () => {
      const h = imageContentHash(dir, img, ["linux/amd64"]);
      expect(h).toMatch(/^[a-f0-9]{64}$/);
      expect(imageContentHash(dir, img, ["linux/amd64"])).toBe(h);
      fs.writeFileSync(path.join(dir, "node_modules", "x", "index.js"), "ignored");
      fs.writeFileSync(path.join(dir, "svc", "README.md"), "ignored");
      expect(imageContentHash(dir, img, ["linux/amd64"])).toBe(h);
      expect(imageContentHash(dir, { ...img, buildArgs: { A: "1" } }, ["linux/amd64"])).not.toBe(h);
      expect(imageContentHash(dir, img, ["linux/arm64"])).not.toBe(h);
      fs.writeFileSync(path.join(dir, "svc", "src", "main.ts"), "console.log(2);\n");
      expect(imageContentHash(dir, img, ["linux/amd64"])).not.toBe(h);
    });

    test("tags are never all digits; unknown ignore patterns are refused", () => {
      expect(contentTag("0123456789012345678")).toBe("src-0123456789012345");
      expect(ignoreMatcher(["dist", "**/*.md"])("lib/dist.ts")).toBe(false);
      expect(ignoreMatcher(["dist"])("dist/a.js")).toBe(true);
      expect(() => ignoreMatcher(["!keep.md"])).toThrow(/not one the image content hash understands/);
    });
  });

  test("the repository's own context hashes (its .dockerignore is understood)", () => {
    const decl = objectDetectionImages({ ...OBJECT_DETECTION_DEFAULTS, build: true, yolov5WeightsSha256: "c".repeat(64) });
    const root = path.resolve(__dirname, "../../../..", decl.context);
    expect(imageContentHash(root, decl.images[0], decl.platforms)).toMatch(/^[a-f0-9]{64}$/);
  });
});

describe("objectDetection build settings", () => {
  const parse = (raw: unknown) => {
    const v = new Validator({ objectDetection: raw }, "");
    const out = parseObjectDetection(v);
    v.throwIfProblems("stack configuration");
    return out;
  };
  test("building is off by default; on, it needs the weights checksum", () => {
    expect(parse({})).toMatchObject({ build: false, imagePlatform: "linux/amd64", keepImages: 10 });
    expect(() => parse({ build: true })).toThrow(ConfigError);
    expect(() => parse({ build: true })).toThrow(/objectDetection\.yolov5WeightsSha256: .*when objectDetection\.build is true/);
    expect(parse({ build: true, yolov5WeightsSha256: "a".repeat(64) }).build).toBe(true);
    expect(() => parse({ yolov5WeightsSha256: "abc" })).toThrow(/64 lower-case hex digits/);
    expect(() => parse({ imagePlatform: "windows/amd64" })).toThrow(/imagePlatform/);
  });

  test("a malformed checksum with building on is one problem, not also 'required'", () => {
    const error = (() => {
      try {
        parse({ build: true, yolov5WeightsSha256: "abc" });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(error.problems.map((p) => p.key)).toEqual(["objectDetection.yolov5WeightsSha256"]);
    expect(error.message).toMatch(/64 lower-case hex digits/);
  });

  test("a stack that neither builds nor names real images is warned", () => {
    expect(objectDetectionWarnings(OBJECT_DETECTION_DEFAULTS, defaultValues())).toHaveLength(1);
    expect(objectDetectionWarnings({ ...OBJECT_DETECTION_DEFAULTS, build: true, yolov5WeightsSha256: "a".repeat(64) }, defaultValues())).toEqual([]);
    const own = (s: string) => ({ image: `ghcr.io/acme/object-detection/${s}:1.2.0` });
    const values = parseValues({ objectDetection: { polybot: own("polybot"), yolo5: own("yolo5"), metering: own("metering"), modelAnalyzer: own("model-analyzer") } });
    expect(objectDetectionWarnings(OBJECT_DETECTION_DEFAULTS, values)).toEqual([]);
  });
});

async function declare(config: ObjectDetectionConfig): Promise<ChartAws> {
  mocks.reset();
  const out = declareChartAws({
    clusterName: "demo",
    region: TEST_REGION,
    tags: { team: "ml" },
    workerRoleName: "demo-worker",
    settings: { "object-detection": config },
  })["object-detection"];
  await mocks.settle();
  return out;
}

describe("declareChartAws with the object-detection declarations, without building", () => {
  let r: ChartAws;
  beforeAll(async () => {
    r = await declare(OBJECT_DETECTION_DEFAULTS);
  });

  test("a private, encrypted, TLS-only images bucket that destroy removes with its objects", () => {
    const bucket = mocks.one("aws:s3/bucket:Bucket");
    expect(bucket.name).toBe("demo-od-images");
    expect(bucket.inputs).toMatchObject({ bucketPrefix: "demo-od-images-", forceDestroy: true });
    expect(bucket.inputs.tags).toMatchObject({ "kubernetes.io/cluster/demo": "owned", team: "ml", "platform/app": "object-detection" });
    expect(mocks.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(mocks.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
    ]);
    expect(mocks.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    expect(JSON.parse(mocks.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy)).toEqual(tlsOnlyBucketPolicy(bucket.state.arn));
    expect(mocks.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules).toEqual(bucketLifecycleRules(objectDetectionStorage().buckets[0]));
  });

  test("two on-demand, encrypted tables whose items expire at expiresAt", () => {
    const tables = mocks.ofType("aws:dynamodb/table:Table");
    const byName = Object.fromEntries(tables.map((t) => [t.inputs.name, t.inputs]));
    expect(Object.keys(byName).sort()).toEqual(["demo-od-metering", "demo-od-model-analyzer"]);
    expect(byName["demo-od-metering"]).toMatchObject({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "userId",
      rangeKey: "sk",
      attributes: [
        { name: "userId", type: "S" },
        { name: "sk", type: "S" },
      ],
      ttl: { attributeName: "expiresAt", enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: false,
    });
    expect(byName["demo-od-model-analyzer"]).toMatchObject({ hashKey: "modelVersion", rangeKey: "hour", ttl: { attributeName: "expiresAt", enabled: true } });
  });

  test("one ECR repository per service: scan on push, immutable tags, the newest 10 kept, deleted with its images", () => {
    const repos = mocks.ofType("aws:ecr/repository:Repository");
    expect(repos.map((x) => x.inputs.name).sort()).toEqual(["model-analyzer", "metering", "polybot", "yolo5"].map((s) => `demo/object-detection/${s}`).sort());
    for (const repo of repos) {
      expect(repo.inputs).toMatchObject({ imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE", forceDelete: true });
    }
    const lifecycles = mocks.ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy");
    expect(lifecycles).toHaveLength(4);
    for (const l of lifecycles) expect(JSON.parse(l.inputs.policy)).toEqual(keepLastImagesPolicy(10));
  });

  test("nothing is built, and the chart keeps the values' images", async () => {
    expect(mocks.ofType("docker-build:index:Image")).toHaveLength(0);
    expect(mocks.calls.filter((c) => c.token.startsWith("aws:ecr/"))).toHaveLength(0);
    expect((await valueOf(r.deployContext)).images).toBeUndefined();
  });

  test("the worker role gets the storage statements of every service on the real ARNs", async () => {
    const policies = mocks.ofType("aws:iam/rolePolicy:RolePolicy");
    expect(policies.map((p) => p.name).sort()).toEqual(["demo-od-storage-worker", "demo-od-worker"]);
    const storage = policies.find((p) => p.name === "demo-od-storage-worker")!;
    expect(storage.inputs.role).toBe("demo-worker");
    const doc = JSON.parse(storage.inputs.policy);
    const bucketArn = mocks.one("aws:s3/bucket:Bucket").state.arn;
    expect(allows([doc], "s3:PutObject", `${bucketArn}/images/a.jpg`)).toBe(true);
    expect(allows([doc], "dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/demo-od-metering")).toBe(true);
    expect(allows([doc], "s3:DeleteObject", `${bucketArn}/images/a.jpg`)).toBe(false);
  });

  test("each service account's policy is ready for its own role", async () => {
    const access = await valueOf(r.serviceAccess);
    expect(Object.keys(access).sort()).toEqual(["metering", "model-analyzer", "polybot", "yolo5"]);
    const yolo = access.yolo5;
    expect(allows([yolo], "sns:Publish", mocks.one("aws:sns/topic:Topic").state.arn)).toBe(true);
  });

  test("the deploy context, the ConfigMap and the stack output carry the bucket and table names", async () => {
    const ctx = await valueOf(r.deployContext);
    const bucketName = mocks.one("aws:s3/bucket:Bucket").state.bucket;
    expect(ctx.bucketNames).toEqual({ images: bucketName });
    expect(ctx.tableNames).toEqual({ metering: "demo-od-metering", "model-analyzer": "demo-od-model-analyzer" });
    const data = objectDetectionConfigData(objectDetectionAwsConfig(ctx));
    expect(data).toMatchObject({ IMAGES_BUCKET: bucketName, METERING_TABLE: "demo-od-metering", MODEL_ANALYZER_TABLE: "demo-od-model-analyzer" });
    expect(data.POLYBOT_QUEUE_URL).toMatch(/demo-od-polybot/);
    expect(Object.values(data).every((v) => v !== "" && !v.startsWith("SET-BY-PULUMI"))).toBe(true);
    const outputs = chartAwsStackOutputs({ "object-detection": r });
    expect(await valueOf(outputs.objectDetectionAws)).toEqual(objectDetectionAwsConfig(ctx));
  });
});

describe("declareChartAws with building enabled", () => {
  const sha = "d".repeat(64);
  let r: ChartAws;
  beforeAll(async () => {
    r = await declare({ ...OBJECT_DETECTION_DEFAULTS, build: true, yolov5WeightsSha256: sha });
  });

  test("each service is built from apps/object-detection with its Dockerfile and pushed to its repository under a content tag", () => {
    const images = mocks.ofType("docker-build:index:Image");
    expect(images.map((i) => i.name).sort()).toEqual(["metering", "model-analyzer", "polybot", "yolo5"].map((s) => `demo-od-${s}`));
    for (const i of images) {
      const svc = i.name.replace("demo-od-", "");
      expect(i.inputs.context.location).toBe(path.resolve(__dirname, "../../../../apps/object-detection"));
      expect(i.inputs.dockerfile.location).toBe(path.join(i.inputs.context.location, svc, "Dockerfile"));
      expect(i.inputs.push).toBe(true);
      expect(i.inputs.platforms).toEqual(["linux/amd64"]);
      expect(i.inputs.tags).toHaveLength(1);
      expect(i.inputs.tags[0]).toMatch(new RegExp(`^${ECR.replace(/\./g, "\\.")}/demo/object-detection/${svc}:src-[a-f0-9]{16}$`));
      // The registry password is a secret (the mock sees the secret wrapper).
      expect(i.inputs.registries.value[0]).toEqual({ address: `${ECR}/demo/object-detection/${svc}`, username: "AWS", password: "mock-ecr-password" });
      // `pulumi preview` does not run builds.
      expect(i.inputs.buildOnPreview).toBe(false);
    }
    expect(images.find((i) => i.name === "demo-od-yolo5")!.inputs.buildArgs).toEqual({ YOLOV5_WEIGHTS_SHA256: sha });
    expect(images.find((i) => i.name === "demo-od-polybot")!.inputs.buildArgs).toBeUndefined();
  });

  test("the chart runs the built images, pinned by tag and digest", async () => {
    const ctx = await valueOf(r.deployContext);
    expect(Object.keys(ctx.images ?? {}).sort()).toEqual(["metering", "model-analyzer", "polybot", "yolo5"]);
    expect(ctx.images!.yolo5).toMatch(new RegExp(`^${ECR.replace(/\./g, "\\.")}/demo/object-detection/yolo5:src-[a-f0-9]{16}@${DIGEST}$`));
    expect(objectDetectionAwsConfig(ctx).images).toEqual(ctx.images);
  });
});
