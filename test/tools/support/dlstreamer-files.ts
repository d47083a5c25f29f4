/** The configuration files the dlstreamer chart ships, taken from its synthesized ConfigMaps. */
import { Testing } from "cdk8s";
import { DlstreamerChart } from "../../../charts/dlstreamer/chart";
import { parseValues } from "../../../charts/values";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `file` of ConfigMap `configMap` in the chart synthesized with `dlstreamer` values. */
export function shippedFile(configMap: string, file: string, dlstreamer: unknown = {}): string {
  const values = parseValues({ dlstreamer });
  const chart = new DlstreamerChart(Testing.app(), "dls", { global: values.global, dlstreamer: values.dlstreamer });
  const cm = (Testing.synth(chart) as Obj[]).find((o) => o.kind === "ConfigMap" && o.metadata.name === configMap);
  const text = cm?.data?.[file];
  if (typeof text !== "string") throw new Error(`the dlstreamer chart ships no ${file} in ConfigMap ${configMap}`);
  return text;
}

/** Every object of the dlstreamer chart synthesized with `dlstreamer` values. */
export function shippedObjects(dlstreamer: unknown = {}): Obj[] {
  const values = parseValues({ dlstreamer });
  return Testing.synth(new DlstreamerChart(Testing.app(), "dls", { global: values.global, dlstreamer: values.dlstreamer })) as Obj[];
}
