/**
 * How a bad stack configuration stops the program. A `pulumi.RunError`: the
 * language host prints its message, as it does for Pulumi's own configuration
 * errors, and no stack trace or object dump (any other exception is reported as
 * "failed with an unhandled exception" with its stack).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, Problem } from "../../lib/validate";

export class StackConfigError extends pulumi.RunError {
  /** The message is the one {@link ConfigError} writes, so every report of problems reads the same. */
  constructor(readonly problems: readonly Problem[]) {
    super(new ConfigError("stack configuration", problems).message);
    // The same kind of error as lib's ConfigError, raised where Pulumi runs.
    this.name = "ConfigError";
  }
}
