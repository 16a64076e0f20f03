// Day-2 changes never replace a running server: what only the first boot reads is ignored by every
// server's lifecycle, and each routine change of the description leaves every other server
// attribute as it was (OpenTofu's plan against a deployed state: __tests__/validate/day-two-plan.test.ts;
// applied to booted nodes: __tests__/lab).
import { Testing } from "cdktf";
import type { EstateInput } from "../../estate";
import { exampleEstate, exampleEstateInput } from "../../estate/example-estate";
import { EstateStack } from "../../stacks/estate-stack";

type Provider = "hetzner" | "digitalocean";
const serverTypes = { hetzner: "hcloud_server", digitalocean: "digitalocean_droplet" };

function synthesize(provider: Provider, changes: Partial<EstateInput> = {}) {
  const estate = exampleEstate(provider, changes);
  return JSON.parse(Testing.synth(new EstateStack(Testing.app(), estate.name, { estate })));
}
const servers = (provider: Provider, changes: Partial<EstateInput> = {}): Record<string, Record<string, unknown>> =>
  synthesize(provider, changes).resource[serverTypes[provider]];

const withoutIgnored = (server: Record<string, any>) =>
  Object.fromEntries(Object.entries(server).filter(([key]) => !(server.lifecycle?.ignore_changes ?? []).includes(key)));

const base = exampleEstateInput();

const routineChanges: Record<string, Partial<EstateInput>> = {
  "a new alert webhook": { alerts: { webhookUrl: "https://alerts.example.com/hooks/new" } },
  "another admin network": { ssh: { ...base.ssh, adminCidrs: [...base.ssh.adminCidrs, "192.0.2.0/24"] } },
  "an SSH key removed and another added": {
    ssh: { ...base.ssh, publicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJlcGxhY2VtZW50a2V5Zm9ydGhlb3BlcmF0b3JzMDEy ops2@example.com"] },
  },
  "a longer retention": { backups: { ...base.backups, dailyRetentionDays: 45 } },
  "synchronous replication": { postgres: { ...base.postgres, synchronousReplication: true } },
};

describe.each(["hetzner", "digitalocean"] as const)("the %s servers", (provider) => {
  const before = servers(provider);

  test("ignore later changes to user-data, image and SSH keys", () => {
    expect(Object.keys(before)).toHaveLength(2);
    for (const server of Object.values<any>(before)) {
      expect(server.lifecycle.ignore_changes).toEqual(expect.arrayContaining(["user_data", "image", "ssh_keys"]));
    }
  });

  test.each(Object.entries(routineChanges))("keep every other attribute after %s", (_change, changes) => {
    const after = servers(provider, changes);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const [name, server] of Object.entries(after)) {
      expect(withoutIgnored(server)).toEqual(withoutIgnored(before[name]));
    }
    // The change does reach the documents (which would have replaced the servers without the ignore).
    const documents = (json: any) => Object.entries<string>(json.locals).filter(([name]) => /^(standby|witness)_user-data/.test(name));
    expect(documents(synthesize(provider, changes))).not.toEqual(documents(synthesize(provider)));
  });
});
