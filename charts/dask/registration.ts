/**
 * What the Dask chart tells the deploying program (its registry entry,
 * charts/registry.ts): the notebook password Secret, which the program
 * generates under {@link GENERATED_NOTEBOOK_PASSWORD_SECRET} unless the
 * stack's values name another.
 */
import type { ChartRegistration } from "../chart-entry";
import { daskRequiredSecrets, GENERATED_NOTEBOOK_PASSWORD_SECRET } from "./values";

export const DASK_REGISTRATION: ChartRegistration = {
  secrets: (values) => daskRequiredSecrets(values.dask),
  // The chart has no default name on purpose (a well-known name invites a hand-made password).
  stackDefaults: () => ({ dask: { notebook: { passwordSecret: { name: GENERATED_NOTEBOOK_PASSWORD_SECRET } } } }),
};
