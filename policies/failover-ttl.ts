import { Annotations, IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { synthesizedAttributes } from "./synthesized-attributes";

/** Resource types whose TTL decides how fast clients follow a failover. */
const failoverRecordTypes = ["cloudflare_dns_record", "cloudflare_load_balancer"];

/**
 * Failover records must keep a TTL of at most `maxTtlSeconds`, or resolvers keep sending clients
 * to a dead primary long after the load balancer moved. Cloudflare's TTL 1 means "automatic"
 * (300 s), so it is refused too.
 */
export class FailoverTtlPolicy implements IAspect {
  constructor(private readonly maxTtlSeconds = 60) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !failoverRecordTypes.includes(node.terraformResourceType)) {
      return;
    }
    const ttl = synthesizedAttributes(node).ttl;
    if (typeof ttl !== "number") {
      return;
    }
    if (ttl === 1 || ttl > this.maxTtlSeconds) {
      const shown = ttl === 1 ? "1 (automatic, 300 s)" : String(ttl);
      Annotations.of(node).addError(
        `[FailoverTtl] ${node.terraformResourceType} has TTL ${shown}; failover records must have a TTL of at most ${this.maxTtlSeconds} seconds`,
      );
    }
  }
}
