/**
 * The images the charts declare (their registry entries' `aws.images`): one ECR
 * repository per image (scan on push, immutable tags, a lifecycle policy keeping
 * the last N images, deleted with its images by `pulumi destroy`) and, when the
 * declaration asks for it, the image built from the repository's source with
 * Docker Buildx (@pulumi/docker-build) and pushed there, tagged with the hash of
 * what went into it. Nothing here names a chart.
 *
 * Building needs Docker where `pulumi up` runs; `npm run synth` never gets here.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { ImageDeclaration, ImagesDeclaration } from "../../charts/chart-entry";
import { resourceTags } from "./tags";

/** The repository root: build contexts are declared relative to it. */
export const REPOSITORY_ROOT = path.resolve(__dirname, "..", "..");

/** ECR lifecycle policy: expire all but the newest `keep` images. */
export function keepLastImagesPolicy(keep: number): { rules: unknown[] } {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`images to keep must be a whole number >= 1, got ${keep}`);
  return {
    rules: [
      {
        rulePriority: 1,
        description: `Keep the newest ${keep} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
        action: { type: "expire" },
      },
    ],
  };
}

/**
 * `.dockerignore` patterns this hashing understands: a name (a top-level file or
 * folder), a name under any folder (`**` then `/name`) and any file with an
 * extension (`**` then `/*.ext`). Anything else is rejected rather than silently
 * hashed differently from what Docker sends.
 */
export function ignoreMatcher(patterns: readonly string[]): (relative: string) => boolean {
  const names = new Set<string>();
  const anywhere = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of patterns) {
    const p = raw.trim().replace(/\/+$/, "");
    if (p === "" || p.startsWith("#")) continue;
    let m: RegExpExecArray | null;
    if ((m = /^\*\*\/\*(\.[A-Za-z0-9]+)$/.exec(p))) suffixes.push(m[1]);
    else if ((m = /^\*\*\/([A-Za-z0-9._-]+)$/.exec(p))) anywhere.add(m[1]);
    else if (/^[A-Za-z0-9._-]+$/.test(p)) names.add(p);
    else throw new Error(`.dockerignore pattern ${JSON.stringify(raw)} is not one the image content hash understands`);
  }
  return (relative) => {
    const parts = relative.split("/");
    return names.has(parts[0]) || parts.some((x) => anywhere.has(x)) || suffixes.some((s) => relative.endsWith(s));
  };
}

/**
 * The hash that tags a built image: every file Docker would send from the context
 * (its `.dockerignore` applied), by relative path, plus the Dockerfile's path and the
 * build arguments. The same source gives the same tag, so an unchanged image is
 * neither rebuilt nor pushed again, which immutable tags require.
 */
export function imageContentHash(contextDir: string, image: ImageDeclaration, platforms: readonly string[]): string {
  const ignoreFile = path.join(contextDir, ".dockerignore");
  const ignored = ignoreMatcher(fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8").split("\n") : []);
  const hash = crypto.createHash("sha256");
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(contextDir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (ignored(child)) continue;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) hash.update(`file ${child}\0`).update(fs.readFileSync(path.join(contextDir, child))).update("\0");
    }
  };
  walk("");
  hash.update(`dockerfile ${image.dockerfile}\0platforms ${platforms.join(",")}\0`);
  for (const [k, v] of Object.entries(image.buildArgs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`arg ${k}=${v}\0`);
  return hash.digest("hex");
}

/** The image tag for a content hash: never all digits (model-analyzer rejects such versions). */
export function contentTag(hash: string): string {
  return `src-${hash.slice(0, 16)}`;
}

export interface AppImagesArgs {
  readonly clusterName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly declaration: ImagesDeclaration;
  /**
   * Where the declaration's build context is relative to.
   * @default REPOSITORY_ROOT
   */
  readonly root?: string;
}

/** The repositories (and builds) one chart declared (`platform:infra:<component>`, `<cluster>-<prefix>`). */
export class AppImages extends pulumi.ComponentResource {
  readonly repositories: Readonly<Record<string, aws.ecr.Repository>>;
  readonly builds: Readonly<Record<string, dockerBuild.Image>>;
  /** `<repository>:<tag>@<digest>` of each built image, by key; empty when nothing is built. */
  readonly imageRefs: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    const decl = args.declaration;
    super(`platform:infra:${decl.component}`, name, {}, opts);
    const repositories: Record<string, aws.ecr.Repository> = {};
    const builds: Record<string, dockerBuild.Image> = {};
    const refs: Record<string, pulumi.Output<string>> = {};
    const lifecyclePolicy = JSON.stringify(keepLastImagesPolicy(decl.keepImages));
    const contextDir = path.resolve(args.root ?? REPOSITORY_ROOT, decl.context);
    for (const image of decl.images) {
      const repo = new aws.ecr.Repository(
        `${name}-${image.key}`,
        {
          name: `${args.clusterName}/${decl.app}/${image.key}`,
          imageScanningConfiguration: { scanOnPush: true },
          // A tag always means the same image: what a pod runs is what was reviewed.
          imageTagMutability: "IMMUTABLE",
          encryptionConfigurations: [{ encryptionType: "AES256" }],
          // `pulumi destroy` leaves nothing behind, images included.
          forceDelete: true,
          tags: resourceTags(args.clusterName, args.tags, `${args.clusterName}-${decl.prefix}-${image.key}`, { "platform/app": decl.app }),
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(`${name}-${image.key}`, { repository: repo.name, policy: lifecyclePolicy }, { parent: this });
      repositories[image.key] = repo;
      if (!decl.build) continue;

      const tag = contentTag(imageContentHash(contextDir, image, decl.platforms));
      const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, { parent: this });
      const built = new dockerBuild.Image(
        `${name}-${image.key}`,
        {
          context: { location: contextDir },
          dockerfile: { location: path.join(contextDir, image.dockerfile) },
          buildArgs: image.buildArgs ? { ...image.buildArgs } : undefined,
          platforms: decl.platforms.map((p) => p as dockerBuild.Platform),
          push: true,
          // A preview shows what would be built; only `pulumi up` runs Docker.
          buildOnPreview: false,
          tags: [pulumi.interpolate`${repo.repositoryUrl}:${tag}`],
          registries: [{ address: repo.repositoryUrl, username: auth.userName, password: pulumi.secret(auth.password) }],
        },
        { parent: this },
      );
      builds[image.key] = built;
      refs[image.key] = pulumi.interpolate`${repo.repositoryUrl}:${tag}@${built.digest}`;
    }
    this.repositories = repositories;
    this.builds = builds;
    this.imageRefs = pulumi.all(refs);
    this.registerOutputs({ repositoryUrls: pulumi.all(Object.fromEntries(Object.entries(repositories).map(([k, r]) => [k, r.repositoryUrl]))) });
  }
}
