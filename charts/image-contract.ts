/**
 * Image contracts: what an image really does at its pinned version, read from
 * its own Dockerfile, source or documentation, with where each fact was read.
 * The charts take ports, probes, writable mounts and commands from these
 * records, and {@link contractProblems} reports every place where a
 * synthesized container contradicts its image's record, so a manifest that an
 * API server accepts but a kubelet could never make Ready fails a unit test.
 *
 * Pure data and pure functions over plain manifest objects: no cdk8s here, so
 * the same check runs over `npm run synth` output.
 */

/**
 * Where a fact was read: a file and line or a documentation page, with the
 * upstream version or commit. A fact that could not be checked says so
 * (`unverified: ...`) instead of guessing.
 */
export type Source = string;

/** The user the image's processes run as. */
export interface ImageUser {
  /** Numeric UID, when the image sets one or the Dockerfile fixes it. */
  readonly uid?: number;
  /** User name of `USER`, when the image names the user (the kubelet cannot check a name against runAsNonRoot). */
  readonly name?: string;
  readonly source: Source;
}

/** A port the image's process listens on. */
export interface ImagePort {
  readonly port: number;
  /** What answers there. */
  readonly serves: string;
  readonly source: Source;
}

/** An HTTP endpoint fit for a probe: answers 200 while the process is healthy (liveness) or can take work (readiness). */
export interface ImageHealthEndpoint {
  readonly port: number;
  readonly path: string;
  readonly source: Source;
}

/** A path the process writes to: under a read-only root it needs a volume. */
export interface ImageWritePath {
  readonly path: string;
  /** Why the process writes there. */
  readonly why: string;
  readonly source: Source;
}

/** A command the image has, with the flags it understands. */
export interface ImageCommand {
  /** The program and any subcommand, e.g. `["dask", "scheduler"]`; the program is compared by its base name. */
  readonly argv: readonly string[];
  /** Flags it understands (`--port`, `-f`); a flag given as `--x=y` is compared by `--x`. */
  readonly flags: readonly string[];
  readonly source: Source;
}

/** An environment variable the image reads. */
export interface ImageEnvVar {
  readonly name: string;
  /** What the process does with it. */
  readonly purpose: string;
  /** The process cannot work on Kubernetes without it. */
  readonly required?: boolean;
  readonly source: Source;
}

/** The image's ENTRYPOINT, and what it does with the container's arguments. */
export interface ImageEntrypoint {
  /** ENTRYPOINT as the runtime runs it; empty when the image has none (CMD is then the command). */
  readonly argv: readonly string[];
  /**
   * `exec`: the entrypoint runs its arguments as a command (`exec "$@"`);
   * `fixed`: the arguments are flags of the entrypoint's own program.
   */
  readonly passesArgs: "exec" | "fixed";
  /** Program the entrypoint runs when the first argument starts with `-` (as the official haproxy image's does). */
  readonly dashArgsRun?: string;
  readonly source: Source;
}

/** One reviewed record of what an image does. */
export interface ImageContract {
  /** Short name for messages, e.g. `gosty-worker`. */
  readonly name: string;
  /** Upstream project and the version or commit read. */
  readonly upstream: string;
  readonly user: ImageUser;
  readonly entrypoint: ImageEntrypoint;
  readonly ports: readonly ImagePort[];
  readonly health: readonly ImageHealthEndpoint[];
  readonly writes: readonly ImageWritePath[];
  readonly commands: readonly ImageCommand[];
  readonly env: readonly ImageEnvVar[];
  /** The process calls the Kubernetes API with its service account token. */
  readonly needsServiceAccountToken?: { readonly source: Source };
}

/** The health endpoint of `contract` on `port` at `path`; throws when the record has none, so a chart cannot probe what the image lacks. */
export function healthEndpoint(contract: ImageContract, path?: string): ImageHealthEndpoint {
  const found = contract.health.find((h) => path === undefined || h.path === path);
  if (found === undefined) throw new Error(`image contract ${contract.name}: no health endpoint${path ? ` ${path}` : ""}`);
  return found;
}

/** The port of `contract` that serves `serves` (matched as a substring); throws when the record has none. */
export function contractPort(contract: ImageContract, serves: string): number {
  const found = contract.ports.find((p) => p.serves.includes(serves));
  if (found === undefined) throw new Error(`image contract ${contract.name}: no port serving ${JSON.stringify(serves)}`);
  return found.port;
}

/** The flags of the command `argv` of `contract`; throws when the record lists no such command. */
export function commandFlags(contract: ImageContract, argv: readonly string[]): readonly string[] {
  const found = contract.commands.find((c) => c.argv.join(" ") === argv.join(" "));
  if (found === undefined) throw new Error(`image contract ${contract.name}: no command ${argv.join(" ")}`);
  return found.flags;
}

/** The parts of a pod and its container the check reads (plain manifest JSON). */
export interface ManifestContainer {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: ReadonlyArray<{ readonly containerPort: number; readonly name?: string }>;
  readonly env?: ReadonlyArray<{ readonly name: string }>;
  readonly volumeMounts?: ReadonlyArray<{ readonly mountPath: string; readonly readOnly?: boolean }>;
  readonly readinessProbe?: ManifestProbe;
  readonly livenessProbe?: ManifestProbe;
  readonly startupProbe?: ManifestProbe;
  readonly securityContext?: ManifestSecurity;
}

export interface ManifestProbe {
  readonly httpGet?: { readonly path?: string; readonly port: number | string };
  readonly tcpSocket?: { readonly port: number | string };
  readonly exec?: { readonly command?: readonly string[] };
}

export interface ManifestSecurity {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly readOnlyRootFilesystem?: boolean;
}

export interface ManifestPodSpec {
  readonly automountServiceAccountToken?: boolean;
  readonly securityContext?: ManifestSecurity;
  readonly containers: readonly ManifestContainer[];
  readonly initContainers?: readonly ManifestContainer[];
}

/** The program and arguments the container really runs, as far as the record tells. */
export function effectiveArgv(contract: ImageContract, c: ManifestContainer): { program: string; words: readonly string[] } | undefined {
  const e = contract.entrypoint;
  if (c.command !== undefined && c.command.length > 0) return { program: baseName(c.command[0]), words: [...c.command.slice(1), ...(c.args ?? [])] };
  if (c.args === undefined || c.args.length === 0) return undefined; // the image's own CMD
  if (e.dashArgsRun !== undefined && c.args[0].startsWith("-")) return { program: e.dashArgsRun, words: c.args };
  if (e.passesArgs === "exec" || e.argv.length === 0) return { program: baseName(c.args[0]), words: c.args.slice(1) };
  return { program: baseName(e.argv[0]), words: c.args };
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/**
 * Every contradiction between the container `c` of `pod` and `contract`,
 * as `<what>: <problem>` lines; empty when the container keeps to the record.
 */
export function contractProblems(contract: ImageContract, pod: ManifestPodSpec, c: ManifestContainer, role: "main" | "init" = "main"): string[] {
  const problems: string[] = [];
  // A container with a command of its own (an init container, a Job's script)
  // does not run the image's process: what that process writes and reads does not apply.
  const main = role === "main" && (c.command === undefined || c.command.length === 0);
  const what = `container ${c.name} (image ${c.image}, contract ${contract.name})`;
  const listens = new Set(contract.ports.map((p) => p.port));
  const portOf = (port: number | string): number | undefined =>
    typeof port === "number" ? port : (c.ports ?? []).find((p) => p.name === port)?.containerPort;

  for (const p of c.ports ?? []) {
    if (!listens.has(p.containerPort)) problems.push(`${what}: containerPort ${p.containerPort}: the image does not listen on it`);
  }
  for (const [kind, probe] of [
    ["readiness", c.readinessProbe],
    ["liveness", c.livenessProbe],
    ["startup", c.startupProbe],
  ] as const) {
    if (probe?.httpGet) {
      const port = portOf(probe.httpGet.port);
      if (!contract.health.some((h) => h.port === port && h.path === (probe.httpGet?.path ?? "/"))) {
        problems.push(`${what}: ${kind} probe GET ${probe.httpGet.path} on port ${String(probe.httpGet.port)}: the image serves no health endpoint there`);
      }
    } else if (probe?.tcpSocket) {
      const port = portOf(probe.tcpSocket.port);
      if (port === undefined || !listens.has(port)) problems.push(`${what}: ${kind} probe on port ${String(probe.tcpSocket.port)}: the image does not listen on it`);
    }
  }

  const readOnlyRoot = c.securityContext?.readOnlyRootFilesystem ?? false;
  if (main && readOnlyRoot) {
    const writable = (c.volumeMounts ?? []).filter((m) => !m.readOnly).map((m) => m.mountPath);
    for (const w of contract.writes) {
      if (!writable.some((m) => w.path === m || w.path.startsWith(`${m}/`))) {
        problems.push(`${what}: writes ${w.path} (${w.why}) but no writable volume is mounted there under the read-only root`);
      }
    }
  }

  problems.push(...commandProblems(what, contract, c));

  const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot ?? false;
  const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  if (nonRoot && uid === undefined && contract.user.uid === undefined) {
    problems.push(`${what}: runAsNonRoot with the image's non-numeric user ${JSON.stringify(contract.user.name)} and no runAsUser: the kubelet refuses to start it`);
  }

  const set = new Set((c.env ?? []).map((e) => e.name));
  for (const e of main ? contract.env : []) {
    if (e.required && !set.has(e.name)) problems.push(`${what}: environment variable ${e.name} (${e.purpose}) is not set`);
  }
  if (main && contract.needsServiceAccountToken && pod.automountServiceAccountToken === false) {
    problems.push(`${what}: the process calls the Kubernetes API but the service account token is not mounted`);
  }
  return problems;
}

function commandProblems(what: string, contract: ImageContract, c: ManifestContainer): string[] {
  const run = effectiveArgv(contract, c);
  if (run === undefined) return [];
  const positional = run.words.filter((w) => !w.startsWith("-"));
  const command = contract.commands
    .filter((k) => baseName(k.argv[0]) === run.program && k.argv.slice(1).every((sub, i) => positional[i] === sub))
    .sort((a, b) => b.argv.length - a.argv.length)[0];
  if (command === undefined) return [`${what}: runs ${JSON.stringify([run.program, ...positional.slice(0, 1)].join(" "))}, a command the image does not have`];
  return run.words
    .filter((w) => /^--?[A-Za-z]/.test(w))
    .map((w) => w.split("=")[0])
    .filter((flag) => !command.flags.includes(flag))
    .map((flag) => `${what}: ${command.argv.join(" ")} does not understand ${flag}`);
}
