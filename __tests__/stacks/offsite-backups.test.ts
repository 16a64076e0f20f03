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
  test("keeps versions and expires nothing current by age: the rules abort incomplete uploads and forget old versions", () => {
    const [bucket] = Object.values(json.resource.digitalocean_spaces_bucket) as any[];
    expect(bucket.versioning).toEqual({ enabled: true });
    expect(bucket.lifecycle_rule).toEqual([
      { id: "abort-incomplete-uploads", enabled: true, abort_incomplete_multipart_upload_days: 7 },
      { id: "forget-deleted-versions", enabled: true, noncurrent_version_expiration: { days: 30 } },
    ]);
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

describe("the off-site copy in Hetzner Object Storage", () => {
  const hetzner = { provider: "hetzner", region: "fsn1", bucket: "mhc-dr-offsite" };
  const synthesize = (estate: ReturnType<typeof estateWithOffsite>) => JSON.parse(Testing.synth(new EstateStack(Testing.app(), "mhc-dr", { estate })));
  const json = synthesize(estateWithOffsite(hetzner));
  const standby = () => {
    const [, server] = Object.entries(json.resource.hcloud_server).find(([id]) => id.startsWith("standby_")) as [string, any];
    return json.locals[server.user_data.match(/local\.([\w-]+)/)[1]] as string;
  };

  test("creates no bucket and no DigitalOcean provider: the bucket and its key are made in the Hetzner console", () => {
    expect(json.resource.digitalocean_spaces_bucket).toBeUndefined();
    expect(json.resource.digitalocean_spaces_key).toBeUndefined();
    expect(json.provider.digitalocean).toBeUndefined();
  });

  test("takes the key as two sensitive Terraform variables, without defaults", () => {
    for (const name of ["hetzner_offsite_access_key_id", "hetzner_offsite_secret_access_key"]) {
      expect(json.variable[name]).toMatchObject({ type: "string", sensitive: true, nullable: false });
      expect(json.variable[name].default).toBeUndefined();
    }
  });

  test("hands the data nodes' pgBackRest the location's endpoint, the bucket and the key from the variables", () => {
    const userData = standby();
    expect(userData).toContain("repo2-s3-endpoint=fsn1.your-objectstorage.com");
    expect(userData).toContain("repo2-s3-region=fsn1");
    expect(userData).toContain("repo2-s3-bucket=mhc-dr-offsite");
    expect(userData).toContain("repo2-s3-key=${var.hetzner_offsite_access_key_id}");
    expect(userData).toContain("repo2-s3-key-secret=${var.hetzner_offsite_secret_access_key}");
    expect(userData).toContain("repo2-cipher-type=aes-256-cbc");
  });

  test("takes another endpoint when given one", () => {
    const other = synthesize(estateWithOffsite({ ...hetzner, region: "hel1", endpoint: "hel1.example-objectstorage.com" }));
    expect(JSON.stringify(other.locals)).toContain("repo2-s3-endpoint=hel1.example-objectstorage.com");
  });

  test.each([
    [{ ...hetzner, region: "ash" }, "backups.offsite.region", /Hetzner Object Storage location: fsn1, nbg1, hel1/],
    [{ provider: "hetzner", region: "fsn1" }, "backups.offsite.bucket", /./],
    [{ ...hetzner, bucket: "Bad_Name" }, "backups.offsite.bucket", /bucket you created in the Hetzner console/],
    [{ ...hetzner, endpoint: "https://fsn1.your-objectstorage.com" }, "backups.offsite.endpoint", /without https:\/\//],
    [{ provider: "aws", region: "eu-west-1" }, "backups.offsite.provider", /digitalocean \(Spaces\) or hetzner \(Object Storage\)/],
  ])("refuses %j, naming %s", (offsite, field, message) => {
    try {
      estateWithOffsite(offsite);
      throw new Error("accepted");
    } catch (error) {
      expect((error as EstateValidationError).problems).toEqual([expect.objectContaining({ field, message: expect.stringMatching(message) })]);
    }
  });
});
