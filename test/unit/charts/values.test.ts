import { ConfigError } from "../../../lib/validate";
import { DEFAULT_STORAGE_CLASS } from "../../../charts/global-values";
import { defaultValues, knownValuesKeys, parseValues } from "../../../charts/values";

function problemsOf(raw: unknown): string {
  try {
    parseValues(raw, "values file test.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected the values to be rejected");
}

describe("parseValues", () => {
  test("defaults: the platform's storage and ingress classes, self-signed TLS", () => {
    const v = defaultValues();
    expect(v.global).toEqual({
      storageClass: DEFAULT_STORAGE_CLASS,
      ingressClass: "nginx",
      domain: "apps.example.com",
      imageRegistry: undefined,
      tls: { issuer: "selfSigned", acmeEmail: undefined, acmeServer: "https://acme-v02.api.letsencrypt.org/directory" },
    });
    expect(DEFAULT_STORAGE_CLASS).toBe("ebs-gp3");
    expect(v.objectDetection.polybot.host).toBe("polybot.apps.example.com");
    expect(v.objectDetection.yolo5.autoscaling).toEqual({ minReplicas: 1, maxReplicas: 5, cpuUtilization: 70 });
  });

  test("an empty document (null) means defaults", () => {
    expect(parseValues(null)).toEqual(defaultValues());
  });

  test("overrides are applied and the domain drives default hosts", () => {
    const v = parseValues({
      global: { storageClass: "standard", ingressClass: "nginx-internal", domain: "bots.example.org" },
      objectDetection: { yolo5: { autoscaling: { maxReplicas: 9 } }, metering: { resources: { memory: { limit: "1Gi" } } } },
    });
    expect(v.global.storageClass).toBe("standard");
    expect(v.global.ingressClass).toBe("nginx-internal");
    expect(v.objectDetection.polybot.host).toBe("polybot.bots.example.org");
    expect(v.objectDetection.yolo5.autoscaling).toEqual({ minReplicas: 1, maxReplicas: 9, cpuUtilization: 70 });
    expect(v.objectDetection.metering.resources.memory).toEqual({ request: "128Mi", limit: "1Gi" });
  });

  test("YAML numbers are accepted as CPU quantities", () => {
    const v = parseValues({ objectDetection: { yolo5: { resources: { cpu: { request: 1, limit: 2 } } } } });
    expect(v.objectDetection.yolo5.resources.cpu).toEqual({ request: "1", limit: "2" });
  });

  // [description, values, the key the message must name, what the message must say]
  const bad: [string, unknown, string, RegExp][] = [
    ["a list as the document", [1, 2], "(document)", /a mapping with the keys global, objectDetection/],
    ["an unknown top-level key", { objectDetecton: {} }, "objectDetecton", /a known key \(one of: global, objectDetection/],
    ["a misspelt global key", { global: { ingresClass: "nginx" } }, "global.ingresClass", /a known key/],
    ["a storage class with capitals", { global: { storageClass: "EBS_gp3" } }, "global.storageClass", /Kubernetes object name/],
    ["a domain that is not one", { global: { domain: "not a domain" } }, "global.domain", /DNS domain/],
    ["an unknown issuer", { global: { tls: { issuer: "letsencrypt" } } }, "global.tls.issuer", /"selfSigned", "acme"/],
    ["ACME without an e-mail", { global: { tls: { issuer: "acme" } } }, "global.tls.acmeEmail", /required when tls.issuer is acme/],
    ["an ACME server over http", { global: { tls: { acmeServer: "http://acme.example.com/dir" } } }, "global.tls.acmeServer", /https:\/\//],
    ["an image on latest", { objectDetection: { yolo5: { image: "ultralytics/yolov5:latest" } } }, "objectDetection.yolo5.image", /pinned to a tag other than 'latest'/],
    ["an untagged image", { objectDetection: { polybot: { image: "team/polybot" } } }, "objectDetection.polybot.image", /pinned/],
    ["min above max replicas", { objectDetection: { yolo5: { autoscaling: { minReplicas: 6, maxReplicas: 3 } } } }, "objectDetection.yolo5.autoscaling.minReplicas", /at most maxReplicas \(3\)/],
    ["zero max replicas", { objectDetection: { yolo5: { autoscaling: { maxReplicas: 0 } } } }, "objectDetection.yolo5.autoscaling.maxReplicas", /an integer from 1 to 100/],
    ["fractional replicas", { objectDetection: { polybot: { replicas: 1.5 } } }, "objectDetection.polybot.replicas", /an integer from 1 to 100/],
    ["a CPU utilization over 100", { objectDetection: { yolo5: { autoscaling: { cpuUtilization: 150 } } } }, "objectDetection.yolo5.autoscaling.cpuUtilization", /from 10 to 100/],
    ["a memory size in bytes", { objectDetection: { metering: { resources: { memory: { request: "134217728" } } } } }, "objectDetection.metering.resources.memory.request", /Mi or Gi/],
    ["a CPU request above its limit", { objectDetection: { modelAnalyzer: { resources: { cpu: { request: "2", limit: "500m" } } } } }, "objectDetection.modelAnalyzer.resources.cpu.request", /at most cpu.limit \(500m\)/],
    ["a host with an underscore", { objectDetection: { polybot: { host: "my_bot.example.com" } } }, "objectDetection.polybot.host", /fully qualified lower-case host name/],
    ["a bad Secret name", { objectDetection: { polybot: { telegramSecret: { name: "Telegram Token" } } } }, "objectDetection.polybot.telegramSecret.name", /Secret name/],
    ["replicas on the autoscaled yolo5", { objectDetection: { yolo5: { replicas: 3 } } }, "objectDetection.yolo5.replicas", /a known key \(one of: image, resources, autoscaling\)/],
    ["a section that is not a map", { objectDetection: { metering: "yes" } }, "objectDetection.metering", /an object/],
  ];

  test.each(bad)("rejects %s, naming the key", (_d, raw, key, allowed) => {
    const message = problemsOf(raw);
    expect(message).toContain("Invalid values file test.yaml");
    const line = message.split("\n").find((l) => l.startsWith(`  - ${key}: `));
    expect(line).toBeDefined();
    expect(line).toMatch(allowed);
  });

  test("reports every problem at once", () => {
    const message = problemsOf({
      global: { storageClass: "A" },
      objectDetection: { yolo5: { image: "x:latest" }, polybot: { replicas: 0 } },
    });
    expect(message).toMatch(/\(3 problems\)/);
  });

  test("knownValuesKeys lists global and every app section", () => {
    expect(knownValuesKeys()).toEqual(expect.arrayContaining(["global", "objectDetection"]));
  });
});
