import { SpacesBucket } from "@cdktf/provider-digitalocean/lib/spaces-bucket";
import { Testing } from "cdktf";
import { EstateValidationError, validateEstate } from "../../estate";
import { exampleEstateInput } from "../../estate/example-estate";
import { EstateStack } from "../../stacks/estate-stack";

function estateWithOffsite(offsite: Record<string, unknown> | undefined) {
  const input = exampleEstateInput() as any;
  input.backups = { ...input.backups, offsite };
  return validateEstate(input, "test estate");
}

describe("the off-site backup bucket", () => {
  const synthesized = Testing.synth(new EstateStack(Testing.app(), "mhc-dr", { estate: estateWithOffsite({ provider: "digitalocean", region: "ams3" }) }));
  const json = JSON.parse(synthesized);
  const [bucketId] = Object.keys(json.resource.digitalocean_spaces_bucket);
  const bucketName = `\${digitalocean_spaces_bucket.${bucketId}.name}`;
  const userDataOf = (role: string) => {
    const [, server] = Object.entries(json.resource.hcloud_server).find(([id]) => id.startsWith(`${role}_`)) as [string, any];
    return json.locals[server.user_data.match(/local\.([\w-]+)/)[1]] as string;
  };

  test("is private and protected", () => {
    expect(synthesized).toHaveResourceWithProperties(SpacesBucket, {
      name: "mhc-dr-offsite-backups",
      region: "ams3",
      acl: "private",
      lifecycle: { prevent_destroy: true },
    });
  });

  // pgBackRest writes archive.info once, at stanza creation: any rule expiring objects by age
  // deletes it in time and every later backup fails. Retention is pgBackRest's `expire` alone.
  test("expires nothing by age: its only lifecycle rule aborts incomplete multipart uploads", () => {
    const [bucket] = Object.values(json.resource.digitalocean_spaces_bucket) as any[];
    expect(bucket.lifecycle_rule).toEqual([{ id: "abort-incomplete-uploads", enabled: true, abort_incomplete_multipart_upload_days: 7 }]);
  });

  test("gets an access key limited to the bucket, and the DigitalOcean provider even for a Hetzner estate", () => {
    const [key] = Object.values(json.resource.digitalocean_spaces_key) as any[];
    expect(key.grant).toEqual([{ bucket: bucketName, permission: "readwrite" }]);
    expect(json.provider.digitalocean).toBeDefined();
    expect(json.provider.hcloud).toBeDefined();
  });

  test("is handed to the data nodes' pgBackRest as an encrypted second repository, not to the witness", () => {
    const standby = userDataOf("standby");
    expect(standby).toContain(`repo2-s3-bucket=${bucketName}`);
    expect(standby).toContain("repo2-s3-endpoint=ams3.digitaloceanspaces.com");
    expect(standby).toContain("repo2-cipher-type=aes-256-cbc");
    expect(standby).toMatch(/repo2-cipher-pass=\$\{random_password\.secrets_backup-cipher-passphrase_\w+\.result\}/);
    expect(standby).toContain("repo2-retention-full=90");
    expect(userDataOf("witness")).not.toContain("repo2-");
  });

  test("is absent unless asked for", () => {
    const plain = JSON.parse(Testing.synth(new EstateStack(Testing.app(), "mhc-dr", { estate: estateWithOffsite(undefined) })));
    expect(plain.resource.digitalocean_spaces_bucket).toBeUndefined();
    expect(plain.provider.digitalocean).toBeUndefined();
  });

  test("refuses a region without Spaces", () => {
    expect(() => estateWithOffsite({ provider: "digitalocean", region: "nyc1" })).toThrow(EstateValidationError);
    try {
      estateWithOffsite({ provider: "digitalocean", region: "nyc1" });
    } catch (error) {
      expect((error as EstateValidationError).problems).toEqual([
        expect.objectContaining({ field: "backups.offsite.region", message: expect.stringMatching(/Spaces region: nyc3/) }),
      ]);
    }
  });
});
