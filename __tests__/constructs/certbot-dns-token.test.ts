import { CertbotDnsToken, dnsWritePermissionGroupId } from "../../constructs/certbot-dns-token";
import { onlyResource, synthScope } from "../support/synth-scope";

describe("CertbotDnsToken", () => {
  const zoneId = "0123456789abcdef0123456789abcdef";
  const { json, exposed } = synthScope((scope, expose) => {
    const token = new CertbotDnsToken(scope, "certbot-dns-token", { estateName: "dr-lab", accountId: "fedcba9876543210fedcba9876543210", zoneId });
    expose(token.value);
  });
  const token = onlyResource(json, "cloudflare_account_token");

  test("is an account-owned token named after the estate and its use", () => {
    expect(token.attributes).toMatchObject({ account_id: "fedcba9876543210fedcba9876543210", name: "dr-lab certbot DNS-01 (zone DNS edit only)" });
  });

  test("may edit DNS records of the estate's zone and nothing else: one allow policy, one permission group, one zone", () => {
    expect(token.attributes.policies).toHaveLength(1);
    const [policy] = token.attributes.policies;
    expect(policy.effect).toBe("allow");
    expect(policy.permission_groups).toEqual([{ id: dnsWritePermissionGroupId }]);
    expect(JSON.parse(policy.resources)).toEqual({ [`com.cloudflare.api.account.zone.${zoneId}`]: "*" });
    expect(dnsWritePermissionGroupId).toBe("4755a26eedb94da69e1066d98aa820be"); // "DNS Write" in Cloudflare's permission groups
  });

  test("hands the nodes the token's secret value", () => {
    expect(exposed).toBe(token.ref("value"));
  });
});
