import { Aspects } from "cdktf";
import type { IConstruct } from "constructs";
import { FailoverTtlPolicy } from "./failover-ttl";
import { FirstBootOnlyPolicy } from "./first-boot-only";
import { NoWorldOpenPortsPolicy } from "./no-world-open-ports";
import { PreventDestroyPolicy } from "./prevent-destroy";

/** Every policy an estate is held to; synth fails on the first resource that breaks one. */
export function estatePolicies() {
  return [new FailoverTtlPolicy(), new NoWorldOpenPortsPolicy(), new PreventDestroyPolicy(), new FirstBootOnlyPolicy()];
}

/** Adds the estate's policies to `scope`, once. */
export function addEstatePolicies(scope: IConstruct): void {
  for (const policy of estatePolicies()) {
    Aspects.of(scope).add(policy);
  }
}
