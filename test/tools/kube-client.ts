/**
 * A minimal Kubernetes REST client over node's https: discovery, create (with
 * server-side dry-run and strict field validation), get and list. Enough to hand
 * manifests to a real API server without kubectl.
 */
import * as https from "node:https";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Response {
  status: number;
  body: string;
  /**
   * Texts of the server's `Warning` headers (RFC 7234 `299 - "text"`): Pod Security
   * violations of a workload's pod template, deprecated APIs, and the like.
   */
  warnings: string[];
}

function parseWarnings(header: string | string[] | undefined): string[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return values.flatMap((v) =>
    [...v.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, "$1")),
  );
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/** `Kind namespace/name`, how failures name an object. */
export function describeObject(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind} ${ns ? `${ns}/` : ""}${obj.metadata?.name ?? "(no name)"} (${obj.apiVersion})`;
}

/** The `message` of a Kubernetes Status body, or the raw body. */
export function serverMessage(res: Response): string {
  try {
    const status = JSON.parse(res.body) as { message?: string };
    if (status.message) return `${res.status}: ${status.message}`;
  } catch {
    // not JSON: fall through to the raw body
  }
  return `${res.status}: ${res.body.slice(0, 2000)}`;
}

export class KubeClient {
  private resources = new Map<string, ResourceInfo>();
  private readonly agent: https.Agent;

  constructor(
    readonly url: string,
    ca: string,
    private readonly token: string,
  ) {
    this.agent = new https.Agent({ ca, keepAlive: true, maxSockets: 4 });
  }

  request(method: string, path: string, body?: unknown): Promise<Response> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.url),
        {
          method,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: "application/json",
            ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
          },
          timeout: 60_000,
        },
        (res) => {
          let data = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (data += chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: data, warnings: parseWarnings(res.headers.warning) }),
          );
        },
      );
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  private async getJson<T>(path: string): Promise<T> {
    const res = await this.request("GET", path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${serverMessage(res)}`);
    return JSON.parse(res.body) as T;
  }

  /** (Re)reads the API discovery documents; call again after installing CRDs. */
  async discover(): Promise<void> {
    type ResourceList = { groupVersion: string; resources: { name: string; kind: string; namespaced: boolean }[] };
    const lists: ResourceList[] = [await this.getJson<ResourceList>("/api/v1")];
    const groups = await this.getJson<{ groups: { versions: { groupVersion: string }[] }[] }>("/apis");
    for (const group of groups.groups) {
      for (const v of group.versions) lists.push(await this.getJson<ResourceList>(`/apis/${v.groupVersion}`));
    }
    const resources = new Map<string, ResourceInfo>();
    for (const list of lists) {
      for (const r of list.resources) {
        if (r.name.includes("/")) continue; // subresources
        resources.set(`${list.groupVersion}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
      }
    }
    this.resources = resources;
  }

  /** Whether discovery knows `apiVersion`/`kind`. */
  knows(apiVersion: string, kind: string): boolean {
    return this.resources.has(`${apiVersion}/${kind}`);
  }

  /** REST path of the collection holding objects of this kind (in `namespace` when namespaced). */
  collectionPath(apiVersion: string, kind: string, namespace?: string): string {
    const info = this.resources.get(`${apiVersion}/${kind}`);
    if (!info) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    const prefix = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (!info.namespaced) return `${prefix}/${info.plural}`;
    return `${prefix}/namespaces/${namespace ?? "default"}/${info.plural}`;
  }

  isNamespaced(apiVersion: string, kind: string): boolean {
    const info = this.resources.get(`${apiVersion}/${kind}`);
    if (!info) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    return info.namespaced;
  }

  /**
   * Creates `obj`. `fieldValidation=Strict` makes unknown or duplicate fields an error,
   * where a plain create would silently drop them (a typo in a manifest would pass).
   */
  create(obj: KubeObject, opts: { dryRun: boolean }): Promise<Response> {
    const query = new URLSearchParams({ fieldValidation: "Strict" });
    if (opts.dryRun) query.set("dryRun", "All");
    const path = this.collectionPath(obj.apiVersion, obj.kind, obj.metadata?.namespace);
    return this.request("POST", `${path}?${query}`, obj);
  }

  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const path = `${this.collectionPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`;
    const res = await this.request("GET", path);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET ${path}: ${serverMessage(res)}`);
    return JSON.parse(res.body) as KubeObject;
  }

  /** Every object of a kind, across all namespaces. */
  async list(apiVersion: string, kind: string): Promise<KubeObject[]> {
    const info = this.resources.get(`${apiVersion}/${kind}`);
    if (!info) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    const prefix = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await this.getJson<{ items: KubeObject[] }>(`${prefix}/${info.plural}`);
    // List items omit apiVersion/kind; put them back so callers can describe them.
    return list.items.map((item) => ({ ...item, apiVersion, kind }));
  }
}
