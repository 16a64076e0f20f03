import { PlanJson, serversLost } from "./plan-json";

/**
 * A plan may replace or destroy at most one server of the estate. Losing two at once (the standby
 * and the witness) takes the primary's standby and its failover monitor away together: it demotes
 * itself and writes stop. Replacing a server is a deliberate act, one node at a time; a run that
 * really must replace several names each one in `allowed` (ALLOW_REPLACING_SERVERS).
 */
export function checkServerReplacements(plan: PlanJson, allowed: readonly string[] = []): string | undefined {
  const lost = serversLost(plan).map((change) => change.address);
  const unexpected = lost.filter((address) => !allowed.includes(address));
  if (lost.length < 2 || unexpected.length === 0) {
    return undefined;
  }
  return (
    `this plan destroys or replaces ${lost.length} servers at once: ${lost.join(", ")}. ` +
    "Replace one node at a time (tofu apply -replace=ADDRESS, see the runbook), or, for this one run only, " +
    `set ALLOW_REPLACING_SERVERS="${lost.join(",")}"`
  );
}
