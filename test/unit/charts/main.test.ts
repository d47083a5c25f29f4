import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../../charts/main";
import { selectedCharts } from "../../../charts/registry";
import { defaultValues } from "../../../charts/values";

const REPO = path.resolve(__dirname, "../../..");

let tmp: string;
let errors: string[];
let logs: string[];
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
  errors = [];
  logs = [];
  jest.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
  jest.spyOn(console, "log").mockImplementation((m: string) => void logs.push(m));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function writeValues(text: string): string {
  const file = path.join(tmp, "values.yaml");
  fs.writeFileSync(file, text);
  return file;
}

describe("npm run synth (charts/main.ts)", () => {
  test("writes one YAML file per registered chart", () => {
    const out = path.join(tmp, "out");
    expect(main(["--out", out], {})).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(selectedCharts(defaultValues()).map((c) => `${c.id}.k8s.yaml`).sort());
    expect(fs.readFileSync(path.join(out, "object-detection.k8s.yaml"), "utf8")).toContain("kind: HorizontalPodAutoscaler");
  });

  test("removes the manifest of a chart the values no longer select, and nothing else", () => {
    const out = path.join(tmp, "out");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "retired-chart.k8s.yaml"), "kind: ConfigMap\n");
    fs.writeFileSync(path.join(out, "notes.txt"), "kept\n");
    expect(main(["--out", out], {})).toBe(0);
    expect(fs.existsSync(path.join(out, "retired-chart.k8s.yaml"))).toBe(false);
    expect(fs.readFileSync(path.join(out, "notes.txt"), "utf8")).toBe("kept\n");
  });

  test("reads the values file from --values or VALUES_FILE", () => {
    const file = writeValues("objectDetection:\n  polybot:\n    host: bot.example.net\n");
    const a = path.join(tmp, "a");
    const b = path.join(tmp, "b");
    expect(main(["--values", file, "--out", a], {})).toBe(0);
    expect(main([`--out=${b}`], { VALUES_FILE: file })).toBe(0);
    for (const dir of [a, b]) expect(fs.readFileSync(path.join(dir, "object-detection.k8s.yaml"), "utf8")).toContain("host: bot.example.net");
  });

  const failures: [string, string, RegExp][] = [
    ["invalid values", "global:\n  storageClass: Not_Valid\n", /global\.storageClass: got "Not_Valid"/],
    ["a typo in a key", "objectDetection:\n  yolo5:\n    autoscalling: {}\n", /objectDetection\.yolo5\.autoscalling/],
    ["a duplicate key", "global:\n  domain: a.example.com\n  domain: b.example.com\n", /not valid YAML: .*[Mm]ap keys must be unique/s],
    ["broken YAML", "global: [unclosed\n", /not valid YAML/],
  ];

  test.each(failures)("on %s: exits non-zero, names the problem, writes nothing", (_d, text, message) => {
    const out = path.join(tmp, "out");
    expect(main(["--values", writeValues(text), "--out", out], {})).toBe(1);
    expect(errors.join("\n")).toMatch(message);
    expect(errors.join("\n")).toContain("nothing was written");
    expect(fs.existsSync(out)).toBe(false);
  });

  test("leaves an existing output directory untouched on error", () => {
    const out = path.join(tmp, "out");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "object-detection.k8s.yaml"), "previous\n");
    expect(main(["--values", writeValues("objectDetection:\n  yolo5:\n    image: a/b:latest\n"), "--out", out], {})).toBe(1);
    expect(fs.readdirSync(out)).toEqual(["object-detection.k8s.yaml"]);
    expect(fs.readFileSync(path.join(out, "object-detection.k8s.yaml"), "utf8")).toBe("previous\n");
  });

  test("a missing values file and unknown arguments are errors", () => {
    expect(main(["--values", path.join(tmp, "absent.yaml"), "--out", path.join(tmp, "o")], {})).toBe(1);
    expect(errors.join("\n")).toMatch(/cannot read values file/);
    expect(main(["--valuse", "x"], {})).toBe(1);
    expect(errors.join("\n")).toMatch(/unknown argument "--valuse"/);
    expect(fs.existsSync(path.join(tmp, "o"))).toBe(false);
  });

  test("as a program in a fresh directory: dist/ is not created on error", () => {
    const run = (args: string[]) =>
      // Exactly what `npm run synth` runs (package.json), from another directory.
      spawnSync(process.execPath, ["-r", path.join(REPO, "charts/swc-register.js"), path.join(REPO, "charts/main.ts"), ...args], {
        cwd: tmp,
        env: { ...process.env, VALUES_FILE: "" },
        encoding: "utf8",
      });
    const bad = run(["--values", writeValues("global:\n  tls:\n    issuer: acme\n")]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("global.tls.acmeEmail");
    expect(fs.readdirSync(tmp)).toEqual(["values.yaml"]);
  });
});
