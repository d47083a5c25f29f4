/**
 * The load-test Job of the GourmetGram README (charts/gourmetgram/load-test-job.yaml):
 * bounded in time, aimed at the chart's Service and readiness endpoint, and
 * admissible in the chart's "restricted" namespace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdk8s";
import { parse } from "yaml";
import { GOURMETGRAM_NAME, GourmetgramChart } from "../../../charts/gourmetgram/chart";
import { GOURMETGRAM_NAMESPACE } from "../../../charts/gourmetgram/values";
import { defaultValues } from "../../../charts/values";
import { isPinnedImage } from "../../../constructs/image";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const job = parse(fs.readFileSync(path.join(__dirname, "../../../charts/gourmetgram/load-test-job.yaml"), "utf8")) as Obj;
const pod = job.spec.template.spec;
const container = pod.containers[0];
const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e.value]));

test("is a Job in the GourmetGram namespace that cannot run longer than its deadline", () => {
  expect(job.kind).toBe("Job");
  expect(job.metadata.namespace).toBe(GOURMETGRAM_NAMESPACE);
  expect(job.spec.backoffLimit).toBe(0);
  expect(pod.restartPolicy).toBe("Never");
  expect(Number(env.DURATION_SECONDS)).toBeGreaterThan(60);
  expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(Number(env.DURATION_SECONDS));
  expect(job.spec.activeDeadlineSeconds).toBeLessThanOrEqual(600);
});

test("requests the prediction endpoint through the chart's Service", () => {
  const objs = Testing.synth(new GourmetgramChart(Testing.app(), "gg", { values: defaultValues() })) as Obj[];
  const svc = objs.find((o) => o.kind === "Service" && o.metadata.name === GOURMETGRAM_NAME) as Obj;
  const probe = objs.find((o) => o.kind === "Deployment")?.spec.template.spec.containers[0].readinessProbe;
  expect(env.TARGET).toBe(`http://${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local${svc.spec.ports[0].port === 80 ? "" : `:${svc.spec.ports[0].port}`}${probe.httpGet.path}`);
});

test("meets the restricted Pod Security Standard with a pinned image and bounded resources", () => {
  expect(isPinnedImage(container.image)).toBe(true);
  expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }));
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
  expect(container.resources.limits).toEqual({ cpu: "200m", memory: "32Mi" });
});
