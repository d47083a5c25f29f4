/**
 * Container image references. A reference is "pinned" when it names an exact
 * tag other than `latest`, or a digest: only then may a node reuse a cached
 * copy (`IfNotPresent`) without risking running something else than reviewed.
 */

// [registry[:port]/]path[:tag][@sha256:digest], lower-case path components as the
// distribution spec requires.
const IMAGE_REF =
  /^(?:(?<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?)\/)?(?<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

export const PINNED_IMAGE_ALLOWED =
  "an image reference pinned to a tag other than 'latest' or to a digest, such as registry.example.com/team/app:1.4.2";

export interface ImageRefParts {
  readonly registry?: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImageRef(ref: string): ImageRefParts | undefined {
  const m = IMAGE_REF.exec(ref);
  if (!m?.groups) return undefined;
  let registry: string | undefined = m.groups.registry;
  let path = m.groups.path;
  // "team/app" has no registry: a first component is a registry only when it
  // looks like a host (has a dot or a port) or is "localhost".
  if (registry !== undefined && !/[.:]/.test(registry) && registry !== "localhost") {
    path = `${registry}/${path}`;
    registry = undefined;
  }
  if (!/^[a-z0-9]/.test(path) || path !== path.toLowerCase()) return undefined;
  return { registry, path, tag: m.groups.tag, digest: m.groups.digest };
}

export function isPinnedImage(ref: string): boolean {
  const parts = parseImageRef(ref);
  if (!parts) return false;
  if (parts.digest) return true;
  return parts.tag !== undefined && parts.tag !== "latest";
}

/**
 * Puts `registry` in front of a reference that names none (Docker Hub style
 * `team/app:1.0`), so one setting can move every image to a private mirror.
 * References that already name a registry are left alone.
 */
export function withRegistry(ref: string, registry: string | undefined): string {
  if (!registry) return ref;
  const parts = parseImageRef(ref);
  if (!parts || parts.registry) return ref;
  return `${registry.replace(/\/+$/, "")}/${ref}`;
}
