/**
 * A stand-in for Pulumi's random provider (`pulumi-resource-random`), for the engine
 * tests only. The real provider cannot be built here (its Go module replaces local
 * paths), yet the cluster side generates its Secrets' values with @pulumi/random. This
 * serves the two resources the program uses, RandomPassword and RandomBytes, with the
 * semantics the program relies on: a value is generated once, kept in the state, and
 * only a change of an input replaces it (so a second `up` changes nothing). Values come
 * from node's CSPRNG; the character set mirrors the real provider's defaults.
 *
 * Started by test/tools/bin/pulumi-resource-random; everything else the engine tests run
 * (CLI, Kubernetes provider, API server) is real.
 */
import { randomBytes, randomInt } from "node:crypto";
import * as provider from "@pulumi/pulumi/provider";

const PASSWORD = "random:index/randomPassword:RandomPassword";
const BYTES = "random:index/randomBytes:RandomBytes";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

type Inputs = Record<string, unknown>;

function typeOf(urn: string): string {
  // urn:pulumi:<stack>::<project>::<type chain, '$'-separated>::<name>
  const chain = urn.split("::")[2] ?? "";
  return chain.split("$").pop() ?? "";
}

function password(inputs: Inputs): string {
  const length = Number(inputs.length);
  if (!Number.isInteger(length) || length < 1) throw new Error(`RandomPassword: length must be a positive integer, got ${inputs.length}`);
  const on = (key: string) => inputs[key] !== false;
  const alphabet =
    (on("lower") ? LOWER : "") + (on("upper") ? UPPER : "") + (on("numeric") ? NUMERIC : "") + (on("special") ? (typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : SPECIAL) : "");
  if (alphabet.length === 0) throw new Error("RandomPassword: every character class is disabled");
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");
}

function generate(type: string, inputs: Inputs): Inputs {
  switch (type) {
    case PASSWORD:
      return { ...inputs, result: password(inputs) };
    case BYTES: {
      const length = Number(inputs.length);
      if (!Number.isInteger(length) || length < 1) throw new Error(`RandomBytes: length must be a positive integer, got ${inputs.length}`);
      const bytes = randomBytes(length);
      return { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    default:
      throw new Error(`the random stand-in serves ${PASSWORD} and ${BYTES}, not ${type}`);
  }
}

const standIn: provider.Provider = {
  version: "0.0.0-standin",
  async check(_urn, _olds, news) {
    return { inputs: news };
  },
  async diff(_id, urn, olds: Inputs, news: Inputs) {
    const outputs = new Set(typeOf(urn) === PASSWORD ? ["result"] : ["base64", "hex"]);
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !outputs.has(k)));
    const changed = [...keys].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    // Like the real provider: every input forces a new value.
    return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false };
  },
  async create(urn, inputs: Inputs) {
    return { id: randomBytes(8).toString("hex"), outs: generate(typeOf(urn), inputs) };
  },
  async read(id, _urn, props) {
    return { id, props };
  },
  async delete() {
    // Nothing exists outside the state.
  },
};

provider.main(standIn, process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
