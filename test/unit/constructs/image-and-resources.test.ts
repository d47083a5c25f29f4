import { isPinnedImage, parseImageRef, withRegistry } from "../../../constructs/image";
import { cpuMillis, memoryMebibytes, resourceSpecProblems } from "../../../constructs/resources";

describe("image references", () => {
  test.each([
    ["team/app:1.0", true],
    ["registry.example.com/team/app:1.0.3", true],
    ["localhost:5000/app:dev-1", true],
    [`app@sha256:${"a".repeat(64)}`, true],
    ["team/app:latest", false],
    ["team/app", false],
    ["Team/App:1.0", false],
    ["team/app:", false],
    ["", false],
  ])("%s pinned: %s", (ref, pinned) => {
    expect(isPinnedImage(ref)).toBe(pinned);
  });

  test("registry detection: a first component is a registry only when it looks like a host", () => {
    expect(parseImageRef("team/app:1")).toEqual({ registry: undefined, path: "team/app", tag: "1", digest: undefined });
    expect(parseImageRef("ghcr.io/team/app:1")?.registry).toBe("ghcr.io");
    expect(parseImageRef("localhost/app:1")?.registry).toBe("localhost");
  });

  test("withRegistry prefixes only references without a registry", () => {
    expect(withRegistry("team/app:1", "123.dkr.ecr.eu-west-1.amazonaws.com/")).toBe("123.dkr.ecr.eu-west-1.amazonaws.com/team/app:1");
    expect(withRegistry("ghcr.io/team/app:1", "mirror.example.com")).toBe("ghcr.io/team/app:1");
    expect(withRegistry("team/app:1", undefined)).toBe("team/app:1");
  });
});

describe("resource quantities", () => {
  test.each([
    ["250m", 250],
    ["1", 1000],
    ["1.5", 1500],
    ["0", undefined],
    ["0m", undefined],
    ["1k", undefined],
    ["-1", undefined],
  ])("cpu %s = %p millicores", (q, m) => expect(cpuMillis(q)).toBe(m));

  test.each([
    ["256Mi", 256],
    ["2Gi", 2048],
    ["256M", undefined],
    ["0Mi", undefined],
    ["1.5Gi", undefined],
  ])("memory %s = %p MiB", (q, m) => expect(memoryMebibytes(q)).toBe(m));

  test("requests above limits are problems, named by key", () => {
    expect(resourceSpecProblems("r", { cpu: { request: "1", limit: "500m" }, memory: { request: "1Gi", limit: "512Mi" } })).toEqual([
      'r.cpu.request: got "1"; allowed: at most the limit (500m)',
      'r.memory.request: got "1Gi"; allowed: at most the limit (512Mi)',
    ]);
  });
});
