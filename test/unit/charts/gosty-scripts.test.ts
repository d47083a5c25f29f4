/**
 * The shell scripts the Gosty chart ships in ConfigMaps, run with the system's
 * POSIX sh against temporary files and a fake curl (shellcheck runs on them
 * with every other shell file of the repository, in test/tools/lint.test.ts).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPTS = path.join(__dirname, "../../../charts/gosty/scripts");

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "gosty-scripts-"));
}

describe("erlang-cookie.sh", () => {
  const run = (...args: string[]) => execFileSync("sh", [path.join(SCRIPTS, "erlang-cookie.sh"), ...args], { encoding: "utf8", stdio: "pipe" });

  test("installs the cookie with mode 0400, replacing the read-only copy of a previous start", () => {
    const dir = tempDir();
    const src = path.join(dir, "secret-cookie");
    const dest = path.join(dir, ".erlang.cookie");
    fs.writeFileSync(src, "first");
    run(src, dest);
    expect(fs.readFileSync(dest, "utf8")).toBe("first");
    expect(fs.statSync(dest).mode & 0o777).toBe(0o400);
    fs.writeFileSync(src, "second");
    run(src, dest);
    expect(fs.readFileSync(dest, "utf8")).toBe("second");
    expect(fs.statSync(dest).mode & 0o777).toBe(0o400);
  });

  test("fails without both paths or without the source", () => {
    expect(() => run("/nonexistent")).toThrow();
    const dir = tempDir();
    expect(() => run(path.join(dir, "missing"), path.join(dir, "dest"))).toThrow();
  });
});

describe("kibana-system-password.sh", () => {
  /** Runs the script with a curl that records its arguments and stdin. */
  function runWithFakeCurl(env: Record<string, string>, curlExit = 0): { status: number; args: string[]; body: string } {
    const dir = tempDir();
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, "curl"),
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${dir}/args"\ncat > "${dir}/body"\nexit ${curlExit}\n`,
      { mode: 0o755 },
    );
    let status = 0;
    try {
      execFileSync("sh", [path.join(SCRIPTS, "kibana-system-password.sh")], {
        env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
        stdio: "pipe",
      });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
    return { status, args: read("args").split("\n").filter(Boolean), body: read("body") };
  }

  const env = { ELASTICSEARCH_URL: "http://elasticsearch:9200", ELASTIC_PASSWORD: "e-secret", KIBANA_PASSWORD: "k-secret" };

  test("posts the new password as JSON on stdin, authenticated as elastic", () => {
    const r = runWithFakeCurl(env);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.body)).toEqual({ password: "k-secret" });
    expect(r.args).toEqual(expect.arrayContaining(["-u", "elastic:e-secret", "http://elasticsearch:9200/_security/user/kibana_system/_password"]));
    expect(r.args.join(" ")).not.toContain("k-secret");
  });

  test("fails when curl fails (the Job retries) or a variable is missing", () => {
    expect(runWithFakeCurl(env, 22).status).not.toBe(0);
    expect(runWithFakeCurl({ ELASTICSEARCH_URL: env.ELASTICSEARCH_URL, ELASTIC_PASSWORD: env.ELASTIC_PASSWORD }).status).not.toBe(0);
  });
});
