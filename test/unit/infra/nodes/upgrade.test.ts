/**
 * Kubernetes upgrades through `pulumi up`, under Pulumi's mocks: the version check that
 * runs before anything is declared, the SSM document that carries control-plane-upgrade.sh,
 * and the ordering that keeps kubelets no newer than the API server (worker launch
 * templates take their version from the control plane's upgrade association).
 */
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { installPulumiMocks, validStackConfig, valueOf } from "../../support/pulumi-mocks";
import { tlsState } from "../../support/tls-mocks";
import { readBootstrapFile } from "../../../../infra/nodes/user-data";
import { CONTAINERD_PACKAGE_VERSION, KUBERNETES_VERSION } from "../../../../infra/versions";

let running: string | undefined = "1.35.4";
const mocks = installPulumiMocks({
  resourceState: (r) => {
    if (r.type === "pulumi:pulumi:StackReference") return { outputs: running === undefined ? {} : { kubernetesVersion: running } };
    if (r.type === "aws:ec2/launchTemplate:LaunchTemplate") return { latestVersion: 1 };
    return tlsState(r);
  },
});

import { ControlPlaneUpgrade, upgradeDocumentContent, UPGRADE_SCRIPT_PATH } from "../../../../infra/nodes/upgrade";
import { NodePool } from "../../../../infra/nodes/workers";
import { versionChangeProblems } from "../../../../infra/config/kubernetes-version";
import type { NodePoolConfig } from "../../../../infra/config/node-pools";

describe("versionChangeProblems (kubeadm's skew rules)", () => {
  const MINORS = ["1.35", "1.36", "1.37"];
  it.each([
    ["1.35.4", "1.35.4"],
    ["1.35.4", "1.35.9"],
    ["1.35.4", "1.36.0"],
    ["1.36.2", "1.37.1"],
  ])("allows %s -> %s", (from, to) => {
    expect(versionChangeProblems(from, to, MINORS)).toEqual([]);
  });

  it.each([
    ["1.35.4", "1.35.3", "a downgrade"],
    ["1.36.0", "1.35.9", "a minor down"],
    ["1.35.4", "1.37.0", "a skipped minor"],
    ["1.37.0", "1.38.0", "an unsupported minor"],
    ["1.35.4", "2.0.0", "a major"],
  ])("refuses %s -> %s (%s), naming the key, both versions and what is allowed", (from, to) => {
    const [p] = versionChangeProblems(from, to, MINORS);
    expect(p.key).toBe("kubernetesVersion");
    expect(p.value).toBe(to);
    expect(p.allowed).toContain(`the cluster runs ${from}`);
    expect(p.allowed).toMatch(/later 1\.\d+\.x patch/);
  });

  it("names the next minor as allowed only when the platform supports it", () => {
    expect(versionChangeProblems("1.35.4", "1.37.0", MINORS)[0].allowed).toContain("or a 1.36.x release");
    expect(versionChangeProblems("1.37.0", "1.36.0", MINORS)[0].allowed).not.toContain("1.38");
  });

  it("checks nothing on the first deployment", () => {
    expect(versionChangeProblems(undefined, "1.37.0", MINORS)).toEqual([]);
  });
});

describe("the program with a bad version change", () => {
  it.each([
    {
      what: "a downgrade, with the running and requested versions in the message",
      running: "1.35.4",
      requested: "1.35.3",
      message: /kubernetesVersion: got "1\.35\.3"; allowed: a later 1\.35\.x patch or a 1\.36\.x release \(the cluster runs 1\.35\.4/,
    },
    {
      what: "a minor whose version-bound add-on images are not pinned",
      running: "1.36.2",
      requested: "1.37.0",
      message: /kubernetesVersion: got "1\.37\.0"; allowed: a release of a minor whose cloud controller manager and cluster-autoscaler images are pinned \(1\.35, 1\.36\)/,
    },
  ])("stops before declaring any resource: $what", async (c) => {
    running = c.running;
    mocks.reset();
    mocks.setConfig(validStackConfig({ kubernetesVersion: c.requested }));
    let error: Error | undefined;
    await jest.isolateModulesAsync(async () => {
      const program = require("../../../../infra/main") as () => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
      await program().catch((e: Error) => (error = e));
    });
    await mocks.settle();
    expect(error?.message).toMatch(c.message);
    expect(mocks.resources.filter((r) => r.type !== "pulumi:pulumi:StackReference")).toEqual([]);
  });
});

describe("the control plane's upgrade document", () => {
  const doc = upgradeDocumentContent() as { schemaVersion: string; mainSteps: { action: string; inputs: { runCommand: string[] } }[] };
  const commands = doc.mainSteps[0].inputs.runCommand;

  it("writes control-plane-upgrade.sh verbatim and runs it with the version parameters", () => {
    expect(doc.schemaVersion).toBe("2.2");
    expect(doc.mainSteps[0].action).toBe("aws:runShellScript");
    const script = commands.slice(2, commands.indexOf("PLATFORM_SCRIPT_EOF")).join("\n") + "\n";
    expect(script).toBe(readBootstrapFile("control-plane-upgrade.sh"));
    expect(commands[commands.length - 1]).toBe(
      `KUBERNETES_VERSION='{{ KubernetesVersion }}' KUBERNETES_PACKAGE_VERSION='{{ PackageVersion }}' CONTAINERD_PACKAGE_VERSION='{{ ContainerdVersion }}' ${UPGRADE_SCRIPT_PATH}`,
    );
    expect(spawnSync("bash", ["-n"], { input: commands.join("\n") }).status).toBe(0);
    // SSM refuses a parameter value its pattern does not match: the pins must pass, an injection must not.
    const params = upgradeDocumentContent().parameters as Record<string, { allowedPattern: string }>;
    expect(new RegExp(params.ContainerdVersion.allowedPattern).test(CONTAINERD_PACKAGE_VERSION)).toBe(true);
    expect(new RegExp(params.PackageVersion.allowedPattern).test(`${KUBERNETES_VERSION}-1.1`)).toBe(true);
    expect(new RegExp(params.ContainerdVersion.allowedPattern).test("2.2.1'; rm -rf /")).toBe(false);
  });
});

describe("upgrade ordering", () => {
  const POOL: NodePoolConfig = {
    name: "general", instanceTypes: ["t3.large"], minSize: 1, maxSize: 3, desiredSize: 1, spot: false, onDemandBaseCapacity: 0,
    labels: {}, taints: [], rootVolumeSizeGiB: 30,
  } as unknown as NodePoolConfig;

  it("gives the worker launch template the version only through the control plane's upgrade association", async () => {
    mocks.reset();
    const upgrade = new ControlPlaneUpgrade("demo-cp", { clusterName: "demo", instanceId: "i-0123", kubernetesVersion: KUBERNETES_VERSION });
    const pool = new NodePool("demo-general", {
      clusterName: "demo", region: "us-east-1", kubernetesVersion: upgrade.kubernetesVersion, pool: POOL, joinTimeoutMinutes: 30,
      subnetIds: ["subnet-1"], securityGroupId: "sg-1", instanceProfileArn: "arn:aws:iam::1:instance-profile/w", joinSecretArn: "arn:join",
    });
    await mocks.settle();
    const association = mocks.one("aws:ssm/association:Association");
    expect(association.inputs.parameters).toEqual({ KubernetesVersion: KUBERNETES_VERSION, PackageVersion: `${KUBERNETES_VERSION}-1.1`, ContainerdVersion: CONTAINERD_PACKAGE_VERSION });
    expect(association.inputs.waitForSuccessTimeoutSeconds).toBe(3600);
    expect(association.inputs.targets).toEqual([{ key: "InstanceIds", values: ["i-0123"] }]);
    // The user-data (and so the launch template) waits for the association: Pulumi creates
    // or updates the template only once the control-plane upgrade reported success.
    const deps = await (pool.userData as unknown as { allResources(): Promise<Set<pulumi.Resource>> }).allResources();
    const urns = await Promise.all([...deps].map((r) => valueOf(r.urn)));
    expect(urns.some((u) => u.endsWith("aws:ssm/association:Association::demo-cp-upgrade"))).toBe(true);
    expect(await valueOf(pool.userData)).toContain(`KUBERNETES_VERSION='${KUBERNETES_VERSION}'`);
  });
});
