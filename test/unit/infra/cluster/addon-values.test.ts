/**
 * The add-ons' Helm values for the default dev settings, as golden files
 * (test/golden/addons/<addon>.values.json, UPDATE_GOLDEN=1 rewrites them), so a pull
 * request shows exactly what changes in each chart's values; plus the rules every
 * add-on follows.
 */
import { DEFAULT_INGRESS_CLASS } from "../../../../charts/global-values";
import { addonValues } from "../../../../infra/cluster/addons";
import { AddonSettings, CONTROL_PLANE_NODE_SELECTOR } from "../../../../infra/cluster/addons/values";
import { ADDON_VERSIONS, AddonName, kubernetesMinor, MINOR_BOUND_IMAGES, minorBoundImages, PinnedImage } from "../../../../infra/cluster/addons/versions";
import { goldenIn } from "../../support/golden";

const SETTINGS: AddonSettings = {
  clusterName: "dev",
  region: "eu-west-1",
  podCidr: "192.168.0.0/16",
  terminationQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/dev-node-termination",
  ingressClass: DEFAULT_INGRESS_CLASS,
};
const values = addonValues(SETTINGS);
const addons = Object.keys(ADDON_VERSIONS) as AddonName[];

const expectGolden = goldenIn("addons");

describe("add-on values", () => {
  it.each(addons)("%s matches its golden file", (addon) => expectGolden(`${addon}.values.json`, values[addon]));

  it("pins every chart exactly and never to a floating image tag", () => {
    for (const addon of addons) {
      const v = ADDON_VERSIONS[addon];
      expect([addon, v.version]).toEqual([addon, expect.stringMatching(/^v?\d+\.\d+\.\d+$/)]);
      for (const image of Object.values(v.images) as PinnedImage[]) {
        expect([addon, image.tag]).toEqual([addon, expect.stringMatching(/^v?\d+\.\d+\.\d+$/)]);
        if (image.digest !== undefined) expect([addon, image.digest]).toEqual([addon, expect.stringMatching(/^sha256:[a-f0-9]{64}$/)]);
      }
    }
    expect(JSON.stringify(values)).not.toMatch(/"tag":"(latest|)"/);
  });

  it("derives the version-coupled controllers' minor from the pinned Kubernetes release", () => {
    expect(kubernetesMinor("1.35.4")).toBe("1.35");
    expect(() => kubernetesMinor("1.35")).toThrow("x.y.z");
    expect(ADDON_VERSIONS.cloudControllerManager.images.controller).toEqual(MINOR_BOUND_IMAGES[kubernetesMinor()].cloudControllerManager);
    expect(ADDON_VERSIONS.clusterAutoscaler.images.autoscaler).toEqual(MINOR_BOUND_IMAGES[kubernetesMinor()].clusterAutoscaler);
    // Every row's images are releases of that row's minor, at an exact patch.
    for (const [minor, row] of Object.entries(MINOR_BOUND_IMAGES)) {
      for (const image of Object.values(row)) expect([minor, image.tag]).toEqual([minor, expect.stringMatching(new RegExp(`^v${minor.replace(".", "\\.")}\\.\\d+$`))]);
    }
  });

  it("takes the cloud controller manager and cluster-autoscaler images from the cluster's minor", () => {
    const imageOf = (v: unknown) => (v as { image: { repository: string; tag: string } }).image;
    const at135 = addonValues({ ...SETTINGS, kubernetesVersion: "1.35.4" });
    const at136 = addonValues({ ...SETTINGS, kubernetesVersion: "1.36.2" });
    expect(imageOf(at135.cloudControllerManager)).toEqual({ repository: "registry.k8s.io/provider-aws/cloud-controller-manager", tag: "v1.35.0" });
    expect(imageOf(at136.cloudControllerManager)).toEqual({ repository: "registry.k8s.io/provider-aws/cloud-controller-manager", tag: "v1.36.1" });
    expect(imageOf(at135.clusterAutoscaler)).toEqual({ repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: "v1.35.0" });
    expect(imageOf(at136.clusterAutoscaler)).toEqual({ repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: "v1.36.1" });
    // Nothing else depends on the minor.
    const { cloudControllerManager: _c, clusterAutoscaler: _a, ...rest135 } = at135;
    const { cloudControllerManager: _c2, clusterAutoscaler: _a2, ...rest136 } = at136;
    expect(rest136).toEqual(rest135);
    // The default (no kubernetesVersion) is the pinned release's row: what the golden files show.
    expect(imageOf(values.clusterAutoscaler)).toEqual(imageOf(at135.clusterAutoscaler));
  });

  it("refuses a minor without pinned images, naming the key, the minor and what is pinned", () => {
    expect(() => minorBoundImages("1.37.0")).toThrow(/kubernetesVersion 1\.37\.0: .*Kubernetes 1\.37 \(pinned: 1\.35, 1\.36;/);
    expect(() => addonValues({ ...SETTINGS, kubernetesVersion: "1.34.9" })).toThrow(/Kubernetes 1\.34/);
  });

  it("follows the settings it is given", () => {
    const other = addonValues({ ...SETTINGS, clusterName: "prod", region: "us-east-1", podCidr: "172.16.0.0/16", ingressClass: "public" });
    expect(JSON.stringify(other)).not.toContain('"dev"');
    expect((other.calico as { installation: { calicoNetwork: { ipPools: { cidr: string }[] } } }).installation.calicoNetwork.ipPools[0].cidr).toBe("172.16.0.0/16");
    expect(JSON.stringify(other.nginxIngress)).toContain('"name":"public"');
    expect(JSON.stringify(other.cloudControllerManager)).toContain("--cluster-name=prod");
  });

  it("keeps the add-ons that use the control-plane role's AWS permissions on the control plane", () => {
    const placement = (v: Record<string, unknown>) => v.nodeSelector;
    expect(placement(values.cloudControllerManager)).toEqual(CONTROL_PLANE_NODE_SELECTOR);
    expect(placement(values.nodeTerminationHandler)).toEqual(CONTROL_PLANE_NODE_SELECTOR);
    expect(placement(values.clusterAutoscaler)).toEqual(CONTROL_PLANE_NODE_SELECTOR);
    expect(placement(values.ebsCsiDriver.controller as Record<string, unknown>)).toEqual(CONTROL_PLANE_NODE_SELECTOR);
  });
});
