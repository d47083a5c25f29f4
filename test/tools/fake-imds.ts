/**
 * A fake EC2 instance metadata service on a loopback port that enforces the IMDSv2
 * session flow like the real one: `PUT /latest/api/token` with a TTL header returns a
 * session token; metadata reads without a valid `X-aws-ec2-metadata-token` get 401.
 * It can answer slowly or fail the first requests, and records every request.
 *
 * It also serves static files under other paths (the test's stand-ins for download
 * sites such as the pkgs.k8s.io signing key), since the scripts make those endpoints
 * injectable too.
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import { AddressInfo } from "node:net";

export interface InstanceIdentity {
  instanceId: string;
  localHostname: string;
  localIpv4: string;
  availabilityZone: string;
}

export interface ImdsBehaviour {
  /** Delay before every answer, in ms. @default 0 */
  delayMs?: number;
  /** Answer this many requests (of any kind) with 503 first. @default 0 */
  failFirst?: number;
}

export interface ImdsRequest {
  method: string;
  path: string;
  status: number;
}

export class FakeImds {
  readonly requests: ImdsRequest[] = [];
  private readonly tokens = new Set<string>();
  private readonly files = new Map<string, Buffer>();
  private failuresLeft: number;

  private constructor(
    private readonly server: http.Server,
    readonly identity: InstanceIdentity,
    behaviour: ImdsBehaviour,
  ) {
    this.failuresLeft = behaviour.failFirst ?? 0;
  }

  static async start(identity: InstanceIdentity, behaviour: ImdsBehaviour = {}): Promise<FakeImds> {
    const self: { imds?: FakeImds } = {};
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const answer = () => self.imds?.handle(req, res);
        const delay = behaviour.delayMs ?? 0;
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
    });
    const imds = new FakeImds(server, identity, behaviour);
    self.imds = imds;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return imds;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Serves `body` at `path` (GET, no token needed). */
  serveFile(path: string, body: string | Buffer): void {
    this.files.set(path, Buffer.from(body));
  }

  private metadata(): Record<string, string> {
    const id = this.identity;
    return {
      "instance-id": id.instanceId,
      "local-hostname": id.localHostname,
      hostname: id.localHostname,
      "local-ipv4": id.localIpv4,
      "placement/availability-zone": id.availabilityZone,
      "placement/region": id.availabilityZone.replace(/[a-z]$/, ""),
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: string | Buffer = "") => {
      this.requests.push({ method: req.method ?? "", path, status });
      res.writeHead(status, { "Content-Type": "text/plain" });
      res.end(body);
    };
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      reply(503, "service unavailable");
      return;
    }
    const file = this.files.get(path);
    if (file && req.method === "GET") {
      reply(200, file);
      return;
    }
    if (path === "/latest/api/token") {
      const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
      if (req.method !== "PUT") return reply(405);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return reply(400, "missing or invalid TTL header");
      const token = crypto.randomBytes(32).toString("base64");
      this.tokens.add(token);
      return reply(200, token);
    }
    if (path.startsWith("/latest/meta-data/")) {
      if (req.method !== "GET") return reply(405);
      const token = req.headers["x-aws-ec2-metadata-token"];
      // IMDSv2 required (HttpTokens=required): no or unknown token is 401, like the real service.
      if (typeof token !== "string" || !this.tokens.has(token)) return reply(401);
      const value = this.metadata()[path.slice("/latest/meta-data/".length)];
      return value === undefined ? reply(404) : reply(200, value);
    }
    reply(404);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
