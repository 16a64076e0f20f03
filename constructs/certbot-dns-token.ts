import { AccountToken } from "@cdktf/provider-cloudflare/lib/account-token";
import { Construct } from "constructs";

/** Cloudflare's "DNS Write" permission group (zone scope), from its List permission groups endpoint. */
export const dnsWritePermissionGroupId = "4755a26eedb94da69e1066d98aa820be";

export interface CertbotDnsTokenProps {
  readonly estateName: string;
  readonly accountId: string;
  readonly zoneId: string;
}

/**
 * The Cloudflare API token the data nodes' certbot answers ACME DNS-01 challenges with: an
 * account-owned token (it outlives any one user) that may edit DNS records of the estate's zone and
 * nothing else. Terraform makes it, so its scope is code and a deploy rotates it with the nodes'
 * configuration; the deploy token needs "Account API Tokens: Edit" for it.
 */
export class CertbotDnsToken extends Construct {
  /** The token's secret value (sensitive in the state). */
  readonly value: string;
  readonly token: AccountToken;

  constructor(scope: Construct, id: string, props: CertbotDnsTokenProps) {
    super(scope, id);
    this.token = new AccountToken(this, "token", {
      accountId: props.accountId,
      name: `${props.estateName} certbot DNS-01 (zone DNS edit only)`,
      policies: [
        {
          effect: "allow",
          permissionGroups: [{ id: dnsWritePermissionGroupId }],
          resources: JSON.stringify({ [`com.cloudflare.api.account.zone.${props.zoneId}`]: "*" }),
        },
      ],
    });
    this.value = this.token.value;
  }
}
