/**
 * The checked-in JSON Schema of Pulumi.<stack>.yaml is what `npm run config-schema`
 * generates from the parsers' recorded reads, and it agrees with the validator on
 * every key: same keys at every level, unknown keys refused by both, the stack
 * files in the repository valid for both.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import Ajv from "ajv";
import { describeConfig, knownKeys, checkConfig } from "../../../../infra/config";
import { renderSchema, SCHEMA_FILE, PROJECT } from "../../../../infra/config/generate-schema";
import { schemaObjectKeys, stackConfigSchema } from "../../../../infra/config/schema";
import { stackFileConfig } from "../../../../infra/config/stack-file";
import type { ObjectShape, Shape } from "../../../../lib/validate";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");
const schema = stackConfigSchema(PROJECT);
const validate = new Ajv({ allErrors: true }).compile(schema);

/** Every object level the parsers read, with the keys they accept there. */
function parserLevels(shape: ObjectShape, at = ""): { path: string; keys: string[] }[] {
  const out = [{ path: at, keys: [...(shape.known ?? Object.keys(shape.properties))] }];
  for (const [k, s] of Object.entries(shape.properties) as [string, Shape][]) {
    const p = at ? `${at}.${k}` : k;
    if (s.kind === "object") out.push(...parserLevels(s, p));
    if (s.kind === "objectList") out.push(...parserLevels(s.item, `${p}[]`));
  }
  return out;
}

async function validatorAccepts(doc: { config: Record<string, unknown> }): Promise<string[]> {
  const { raw, region } = stackFileConfig(doc.config, PROJECT);
  return (await checkConfig(raw, { region })).problems.map((p) => p.key);
}

describe("stack-config.schema.json", () => {
  it("is what npm run config-schema writes", () => {
    expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(renderSchema());
  });

  it("has the validator's keys at every level, and refuses the others as the validator does", () => {
    const fromSchema = schemaObjectKeys(schema).filter((l) => l.path.startsWith("config"));
    const top = fromSchema.find((l) => l.path === "config")!;
    expect(top.keys.filter((k) => k.startsWith(`${PROJECT}:`)).map((k) => k.slice(PROJECT.length + 1)).sort()).toEqual([...knownKeys()].sort());
    const levels = parserLevels(describeConfig()).slice(1);
    // The structured keys: objectDetection, observability, workloads, nodePools[], nodePools[].taints[].
    expect(levels.map((l) => l.path)).toEqual(expect.arrayContaining(["observability", "workloads", "nodePools[]", "nodePools[].taints[]"]));
    for (const level of levels) {
      const inSchema = fromSchema.find((l) => l.path === `config.${PROJECT}:${level.path}`);
      expect({ path: level.path, keys: inSchema?.keys.sort() }).toEqual({ path: level.path, keys: [...level.keys].sort() });
      expect({ path: level.path, closed: inSchema?.closed }).toEqual({ path: level.path, closed: true });
    }
  });

  it.each(["Pulumi.dev.yaml"])("accepts %s, which the validator accepts", async (file) => {
    const doc = parse(fs.readFileSync(path.join(REPO, file), "utf8"));
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(await validatorAccepts(doc)).toEqual([]);
  });

  const dev = () => parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const withKey = (key: string, value: unknown) => {
    const doc = dev();
    doc.config[key] = value;
    return doc;
  };

  it.each([
    ["an unknown top-level key", `${PROJECT}:clustername`, "demo"],
    ["an unknown pool field", `${PROJECT}:nodePools`, [{ name: "a", minSize: 1, maxSize: 2, instanceType: "t3.large" }]],
    ["an unknown workloads field", `${PROJECT}:workloads`, { chart: ["grafana"] }],
    ["an unknown observability field", `${PROJECT}:observability`, { retentionDays: 30 }],
    ["a pool without maxSize", `${PROJECT}:nodePools`, [{ name: "a", minSize: 1 }]],
    ["a boolean that is not one", `${PROJECT}:workloads`, { enabled: "yes" }],
  ])("refuses %s, as the validator does", async (_what, key, value) => {
    const doc = withKey(key, value);
    expect(validate(doc)).toBe(false);
    expect(await validatorAccepts(doc)).not.toEqual([]);
  });

  it.each([
    ["typed numbers and booleans from --path", `${PROJECT}:tags`, { team: "platform", cost: 42, billable: true }],
    ["another provider's key", "kubernetes:context", "elsewhere"],
    ["an encrypted stack secret", `${PROJECT}:workloads`, { telegramBotToken: { secure: "v1:AAAA" } }],
    ["a pool with every field", `${PROJECT}:nodePools`, [{ name: "gpu", instanceTypes: ["g5.xlarge"], minSize: 0, desiredSize: 1, maxSize: 2, spot: true, onDemandBaseCapacity: 1, labels: { "example.com/gpu": "true" }, taints: [{ key: "gpu", value: "x", effect: "NoSchedule" }], rootVolumeSizeGiB: 80 }]],
  ])("accepts %s, as the validator does", async (_what, key, value) => {
    const doc = withKey(key, value);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(await validatorAccepts(doc)).toEqual([]);
  });
});
