/**
 * Starts a real Mosquitto 2 (Debian package) with the configuration the chart
 * ships and a password file made by `mosquitto_passwd`, then checks who may connect,
 * publish and read with the real `mosquitto_pub` / `mosquitto_sub` clients;
 * and the password and ACL files laid out as the pod has them (mounted as
 * root, copied by the chart's own init container command as the broker's UID).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mosquittoPasswordEntry } from "../../charts/dlstreamer/mosquitto-password";
import { shippedFile, shippedObjects } from "./support/dlstreamer-files";
import { Daemon, freePort, run, RunResult, waitFor } from "./support/processes";

const USER = "results-reader";
const PASSWORD = `pw-${process.pid}-${Date.now()}`;
const GENERATED_USER = "pulumi-made";
const GENERATED_PASSWORD = `gen-${process.pid}-${Date.now()}`;

interface Broker {
  readonly daemon: Daemon;
  readonly clientPort: number;
  readonly publisherPort: number;
  readonly dir: string;
}

/**
 * Mosquitto started as root drops to the `mosquitto` user (as the container
 * runs as a non-root UID): that user must own the files it reads and writes.
 */
function ownByMosquittoUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync("id", ["-u", "mosquitto"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "mosquitto"], { encoding: "utf8" }).trim());
  for (const entry of [dir, ...fs.readdirSync(dir, { recursive: true }).map((e) => path.join(dir, String(e)))]) {
    fs.chownSync(entry, uid, gid);
  }
}

/**
 * Starts mosquitto with the mosquitto.conf and publisher.acl the chart ships
 * (ConfigMap mosquitto-config), only moved to this machine: the files under
 * /mosquitto/ go to a temporary directory and the listeners to free loopback ports.
 */
async function startBroker(options: { allowAnonymous: boolean }): Promise<Broker> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mosquitto-test-"));
  for (const sub of ["config", "secret", "data", "private"]) fs.mkdirSync(path.join(dir, sub));
  const values = { mosquitto: { allowAnonymous: options.allowAnonymous } };
  const shipped = shippedFile("mosquitto-config", "mosquitto.conf", values);
  fs.writeFileSync(path.join(dir, "config", "publisher.acl"), shippedFile("mosquitto-config", "publisher.acl", values));
  const passwordFile = path.join(dir, "secret", "passwd");
  if (shipped.includes("password_file /mosquitto/private/passwd")) {
    const made = await run("mosquitto_passwd", ["-b", "-c", passwordFile, USER, PASSWORD]);
    if (made.code !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr}`);
    // A second user written by the TypeScript implementation of the file format.
    fs.appendFileSync(passwordFile, `${mosquittoPasswordEntry(GENERATED_USER, GENERATED_PASSWORD)}\n`);
    fs.chmodSync(passwordFile, 0o440);
    // Hashed, never the clear password.
    expect(fs.readFileSync(passwordFile, "utf8")).not.toContain(PASSWORD);
  }
  // The chart's init container (private-files) copies the root-owned mounted
  // files to where the broker reads them, owned by the broker's user.
  fs.copyFileSync(path.join(dir, "config", "publisher.acl"), path.join(dir, "private", "publisher.acl"));
  if (fs.existsSync(passwordFile)) fs.copyFileSync(passwordFile, path.join(dir, "private", "passwd"));
  const clientPort = await freePort();
  const publisherPort = await freePort();
  const config = shipped
    .replaceAll("/mosquitto/", `${dir}/`)
    .replace(/^listener 1883$/m, `listener ${clientPort} 127.0.0.1`)
    .replace(/^listener 1884$/m, `listener ${publisherPort} 127.0.0.1`);
  expect(config).not.toBe(shipped);
  const configFile = path.join(dir, "config", "mosquitto.conf");
  fs.writeFileSync(configFile, config);
  ownByMosquittoUser(dir);
  const daemon = new Daemon("mosquitto", ["-c", configFile]);
  try {
    await waitFor(
      "mosquitto to listen on both ports",
      async () => {
        if (daemon.exited) throw new Error(`mosquitto exited:\n${daemon.log}`);
        const count = daemon.log.match(/Opening ipv4 listen socket on port/g)?.length ?? 0;
        return count >= 2 ? true : undefined;
      },
      10000,
    );
  } catch (e) {
    await daemon.stop();
    throw new Error(`${String(e)}\nmosquitto log:\n${daemon.log}`);
  }
  return { daemon, clientPort, publisherPort, dir };
}

async function stopBroker(b: Broker | undefined): Promise<void> {
  if (!b) return;
  await b.daemon.stop();
  fs.rmSync(b.dir, { recursive: true, force: true });
}

const credentials = ["-u", USER, "-P", PASSWORD];

function publish(port: number, topic: string, message: string, auth: string[] = []): Promise<RunResult> {
  return run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), ...auth, "-t", topic, "-m", message], { timeoutMs: 5000 });
}

/** Subscribes, waits up to `waitSeconds` for one message; resolves with the client's result. */
function subscribeOnce(port: number, topic: string, waitSeconds: number, auth: string[] = []): Promise<RunResult> {
  return run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(port), ...auth, "-t", topic, "-C", "1", "-W", String(waitSeconds)], {
    timeoutMs: (waitSeconds + 3) * 1000,
  });
}

/** Publishes until the subscriber (already started) has had time to subscribe. */
async function publishRepeatedly(port: number, topic: string, message: string, until: Promise<unknown>): Promise<void> {
  let done = false;
  void until.then(() => (done = true));
  for (let i = 0; i < 20 && !done; i++) {
    await publish(port, topic, message);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("mosquitto with the default (authenticated) configuration", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ allowAnonymous: false });
  }, 20000);
  afterAll(() => stopBroker(broker));

  test("accepts a client with the password from the password file", async () => {
    const result = await publish(broker.clientPort, "inference-results", "hello", credentials);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  test("accepts a user whose entry mosquittoPasswordEntry wrote", async () => {
    const result = await publish(broker.clientPort, "inference-results", "hello", ["-u", GENERATED_USER, "-P", GENERATED_PASSWORD]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const wrong = await publish(broker.clientPort, "inference-results", "hello", ["-u", GENERATED_USER, "-P", PASSWORD]);
    expect(wrong.code).not.toBe(0);
  });

  test("refuses an anonymous client on the client listener", async () => {
    const result = await publish(broker.clientPort, "inference-results", "hello");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not authori[sz]ed/i);
  });

  test("refuses a wrong password", async () => {
    const result = await publish(broker.clientPort, "inference-results", "hello", ["-u", USER, "-P", "wrong"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not authori[sz]ed/i);
  });

  test("delivers what an anonymous in-cluster publisher sends to an authenticated subscriber", async () => {
    const received = subscribeOnce(broker.clientPort, "inference-results/#", 8, credentials);
    await publishRepeatedly(broker.publisherPort, "inference-results/pipeline-1", '{"objects":[]}', received);
    const result = await received;
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('{"objects":[]}');
  }, 20000);

  test("lets nobody read through the anonymous publisher listener", async () => {
    const received = subscribeOnce(broker.publisherPort, "inference-results/#", 3);
    await publishRepeatedly(broker.publisherPort, "inference-results/pipeline-1", "secret-result", received);
    const result = await received;
    expect(result.stdout).not.toContain("secret-result");
    expect(result.code).not.toBe(0);
  }, 20000);

  test("logs connections to the container log", () => {
    expect(broker.daemon.log).toMatch(/New client connected .* u'results-reader'/);
  });
});

describe("mosquitto with the values flag allowAnonymous", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ allowAnonymous: true });
  }, 20000);
  afterAll(() => stopBroker(broker));

  test("accepts an anonymous client on the client listener", async () => {
    const received = subscribeOnce(broker.clientPort, "inference-results", 8);
    await publishRepeatedly(broker.clientPort, "inference-results", "open", received);
    const result = await received;
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("open");
  }, 20000);
});

/**
 * The pod's layout, emulated on this machine as root: the kubelet mounts the
 * ConfigMap and the Secret as root-owned files (group fsGroup, mode 0440, as
 * the chart sets), and an emptyDir at /mosquitto/private (mode 0777 plus the
 * fsGroup's setgid bit). The chart's init container command then runs
 * unchanged but for the /mosquitto prefix, as UID/GID 1883 with the fsGroup as
 * supplementary group (runAsUser, runAsGroup, fsGroup), and so does the broker.
 *
 * Debian's mosquitto is 2.0.11: the warnings about password/ACL files that
 * are world-readable or not owned by the broker's user came with 2.0.16 (the
 * image runs 2.0.22), so this binary cannot warn; the test asserts the owner
 * and mode those warnings check instead, and that no such warning is logged.
 */
describe("mosquitto with the password and ACL files as the chart lays them out (run as root)", () => {
  // Laying files out as the kubelet does (owner root, group fsGroup) and running as the
  // pod's user need root, as CI has; anywhere else this fails rather than passing unrun.
  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("this test needs root (chown to root and setpriv to the pod's user); run it as CI does, as root");
  });
  const deployment = shippedObjects().find((o) => o.kind === "Deployment" && o.metadata.name === "mosquitto")!;
  const pod = deployment.spec.template.spec;
  const init = pod.initContainers.find((c: { name: string }) => c.name === "private-files");
  const uid: number = init.securityContext.runAsUser;
  const gid: number = init.securityContext.runAsGroup;
  const fsGroup: number = pod.securityContext.fsGroup;
  const asPodUser = (program: string, args: string[]) => ["--reuid", String(uid), "--regid", String(gid), "--groups", String(fsGroup), "--", program, ...args];
  let dir: string;
  let daemon: Daemon | undefined;
  let clientPort: number;

  /** A mounted file as the kubelet writes it: root-owned, group fsGroup, the chart's mode. */
  const mounted = (file: string, text: string, mode: number) => {
    fs.writeFileSync(file, text);
    fs.chownSync(file, 0, fsGroup);
    fs.chmodSync(file, mode);
  };

  beforeAll(async () => {
    expect({ uid, gid, fsGroup }).toEqual({ uid: 1883, gid: 1883, fsGroup: 1883 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mosquitto-layout-"));
    fs.chmodSync(dir, 0o755);
    for (const sub of ["config", "secret", "private", "data"]) fs.mkdirSync(path.join(dir, sub));
    const configMode: number = pod.volumes.find((v: { configMap?: unknown }) => v.configMap).configMap.defaultMode;
    const secretMode: number = pod.volumes.find((v: { secret?: unknown }) => v.secret).secret.defaultMode;
    clientPort = await freePort();
    const publisherPort = await freePort();
    const conf = shippedFile("mosquitto-config", "mosquitto.conf")
      .replaceAll("/mosquitto/", `${dir}/`)
      .replace(/^listener 1883$/m, `listener ${clientPort} 127.0.0.1`)
      .replace(/^listener 1884$/m, `listener ${publisherPort} 127.0.0.1`);
    mounted(path.join(dir, "config", "mosquitto.conf"), conf, configMode);
    mounted(path.join(dir, "config", "publisher.acl"), shippedFile("mosquitto-config", "publisher.acl"), configMode);
    // The Secret's key as Pulumi generates it (registration.ts uses this function).
    mounted(path.join(dir, "secret", "passwd"), `${mosquittoPasswordEntry(GENERATED_USER, GENERATED_PASSWORD)}\n`, secretMode);
    for (const sub of ["private", "data"]) {
      fs.chownSync(path.join(dir, sub), 0, fsGroup);
      fs.chmodSync(path.join(dir, sub), 0o2777);
    }

    const command: string[] = init.command.map((word: string) => word.replace(/^\/mosquitto\//, `${dir}/`));
    const copied = await run("setpriv", asPodUser(command[0], command.slice(1)));
    expect(copied).toMatchObject({ code: 0, stderr: "" });

    daemon = new Daemon("setpriv", asPodUser("mosquitto", ["-c", path.join(dir, "config", "mosquitto.conf")]));
    await waitFor("mosquitto to listen", async () => {
      if (daemon!.exited) throw new Error(`mosquitto exited:\n${daemon!.log}`);
      return (daemon!.log.match(/Opening ipv4 listen socket on port/g)?.length ?? 0) >= 2 ? true : undefined;
    }, 10000);
  }, 30000);

  afterAll(async () => {
    await daemon?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the init container's copies belong to the broker's UID and keep the mounts' owner-and-group-only mode", () => {
    for (const name of ["passwd", "publisher.acl"]) {
      const copy = fs.statSync(path.join(dir, "private", name));
      expect({ name, uid: copy.uid, gid: copy.gid, mode: (copy.mode & 0o777).toString(8) }).toEqual({ name, uid: 1883, gid: 1883, mode: "440" });
      // What the broker would have read without the copy: root's file.
      expect(fs.statSync(path.join(dir, name === "passwd" ? "secret" : "config", name)).uid).toBe(0);
    }
    // The broker reads the copies, not the mounts.
    expect(shippedFile("mosquitto-config", "mosquitto.conf")).toMatch(/^password_file \/mosquitto\/private\/passwd$/m);
  });

  test("the broker, running as that UID, starts without a file warning and authenticates with the generated password", async () => {
    expect(daemon!.log).not.toMatch(/world readable|owner is not|group is not|Unable to open/i);
    const ok = await publish(clientPort, "inference-results", "hello", ["-u", GENERATED_USER, "-P", GENERATED_PASSWORD]);
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    const wrong = await publish(clientPort, "inference-results", "hello", ["-u", GENERATED_USER, "-P", "wrong"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/not authori[sz]ed/i);
  });
});
