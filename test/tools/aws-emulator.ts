/**
 * AWS for the bootstrap scripts, on loopback: moto in server mode (the AWS emulator
 * from PyPI) behind an HTTPS-intercepting proxy.
 *
 * The scripts run the real AWS CLI (Debian's awscli, a v2 CLI like the one the nodes
 * install) with its default endpoints, exactly as on a node. `HTTPS_PROXY` points it at
 * the proxy, which answers CONNECT for `*.amazonaws.com` only, terminates TLS with a
 * certificate for those names signed by the test CA (`AWS_CA_BUNDLE`), and forwards the
 * request unchanged to moto. Nothing leaves the machine; any other host is refused and
 * recorded. (Debian bookworm's CLI predates `AWS_ENDPOINT_URL`, and a proxy keeps the
 * scripts on their production code path anyway.)
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { AddressInfo, Socket } from "node:net";
import * as path from "node:path";
import { issueServerCert, makeTestCa } from "./pki";
import { ServerProcess, freePort, startProcess, waitUntil } from "./processes";
import { tool } from "./tool-paths";

export interface AwsCall {
  /** Host the CLI addressed, e.g. `secretsmanager.eu-west-1.amazonaws.com`. */
  host: string;
  /** API action, e.g. `PutSecretValue`. */
  action: string;
  /** Moto's HTTP status. */
  status: number;
}

export class AwsEmulator {
  /** Every API call forwarded to moto. */
  readonly calls: AwsCall[] = [];
  /** CONNECT targets that were refused (anything but *.amazonaws.com:443). */
  readonly refused: string[] = [];

  private constructor(
    private readonly moto: ServerProcess,
    readonly motoUrl: string,
    private readonly proxy: http.Server,
    private readonly tlsServer: https.Server,
    /** CA bundle the CLI must trust (AWS_CA_BUNDLE). */
    readonly caBundle: string,
  ) {}

  static async start(dir: string): Promise<AwsEmulator> {
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const moto = startProcess("moto_server", tool("MOTO_SERVER"), ["-H", "127.0.0.1", "-p", String(port)], path.join(dir, "moto.log"));
    const motoUrl = `http://127.0.0.1:${port}`;
    await waitUntil(moto, "moto answers HTTP", () => httpAnswers(`${motoUrl}/moto-api/`), 60_000);

    const ca = makeTestCa(path.join(dir, "pki"), "aws-proxy-ca");
    const cert = issueServerCert(ca, path.join(dir, "pki"), "amazonaws", [
      "DNS:*.amazonaws.com",
      // Regional endpoints are <service>.<region>.amazonaws.com: one wildcard level each.
      ...REGIONS.map((r) => `DNS:*.${r}.amazonaws.com`),
    ]);
    // The servers' callbacks need the emulator, which needs the servers: late-bound.
    const self: { emulator?: AwsEmulator } = {};
    const tlsServer = https.createServer(
      { cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key) },
      (req, res) => self.emulator?.forward(req, res),
    );
    const proxy = http.createServer((_req, res) => {
      res.writeHead(405);
      res.end("only CONNECT");
    });
    proxy.on("connect", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      const target = req.url ?? "";
      if (!/^[a-z0-9.-]+\.amazonaws\.com:443$/.test(target)) {
        self.emulator?.refused.push(target);
        socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
        return;
      }
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) socket.unshift(head);
      tlsServer.emit("connection", socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    self.emulator = new AwsEmulator(moto, motoUrl, proxy, tlsServer, ca.caCert);
    return self.emulator;
  }

  /** Environment that sends the AWS CLI here. */
  env(): Record<string, string> {
    const proxy = `http://127.0.0.1:${(this.proxy.address() as AddressInfo).port}`;
    return {
      HTTPS_PROXY: proxy,
      https_proxy: proxy,
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
      AWS_CA_BUNDLE: this.caBundle,
      // moto accepts any credentials; on a node they come from the instance role.
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      AWS_EC2_METADATA_DISABLED: "true",
    };
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const target = req.headers["x-amz-target"];
      const action =
        typeof target === "string"
          ? target.split(".").pop() ?? target
          : (new URLSearchParams(body.toString("utf8")).get("Action") ?? `${req.method} ${req.url}`);
      const upstream = http.request(
        `${this.motoUrl}${req.url ?? "/"}`,
        { method: req.method, headers: req.headers },
        (up) => {
          this.calls.push({ host: String(req.headers.host ?? ""), action, status: up.statusCode ?? 0 });
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      upstream.end(body);
    });
  }

  async stop(): Promise<void> {
    this.proxy.closeAllConnections();
    this.tlsServer.closeAllConnections();
    await new Promise<void>((resolve) => this.proxy.close(() => resolve()));
    await new Promise<void>((resolve) => this.tlsServer.close(() => resolve()));
    await this.moto.stop();
  }
}

const REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1", "ap-southeast-1"];

function httpAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}
