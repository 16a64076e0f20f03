import { SpacesBucket } from "@cdktf/provider-digitalocean/lib/spaces-bucket";
import { OffsiteBackups } from "../../constructs/offsite-backups";
import { onlyResource, synthScope } from "../support/synth-scope";

describe("OffsiteBackups", () => {
  const { synthesized, json, exposed } = synthScope((scope, expose) => {
    const backups = new OffsiteBackups(scope, "offsite", { estateName: "dr-lab", region: "sgp1", retentionDays: 45, cipherPassphrase: "passphrase-reference", mediaCipherPassphrase: "media-passphrase-reference" });
    expose(backups.repository);
  });
  const bucket = onlyResource(json, "digitalocean_spaces_bucket");
  const key = onlyResource(json, "digitalocean_spaces_key");

  test("is a private bucket named after the estate in the region, kept by preventDestroy", () => {
    expect(synthesized).toHaveResourceWithProperties(SpacesBucket, { name: "dr-lab-offsite-backups", region: "sgp1", acl: "private", lifecycle: { prevent_destroy: true } });
  });

  test("keeps versions, so a delete with the nodes' key leaves the data restorable", () => {
    expect(bucket.attributes.versioning).toEqual({ enabled: true });
  });

  test("expires nothing current by age: one rule aborts multipart uploads left for 7 days, one forgets versions 30 days after they stop being current", () => {
    expect(bucket.attributes.lifecycle_rule).toEqual([
      { id: "abort-incomplete-uploads", enabled: true, abort_incomplete_multipart_upload_days: 7 },
      { id: "forget-deleted-versions", enabled: true, noncurrent_version_expiration: { days: 30 } },
    ]);
  });

  test("has an access key that reads and writes that bucket alone", () => {
    expect(key.attributes).toMatchObject({ name: "dr-lab-backups", grant: [{ bucket: bucket.ref("name"), permission: "readwrite" }] });
  });

  test("hands pgBackRest the region's endpoint, the bucket, a folder per estate, the key, both ciphers (pgBackRest's, the media's) and the retention", () => {
    expect(exposed).toEqual({
      endpoint: "sgp1.digitaloceanspaces.com",
      region: "sgp1",
      bucket: bucket.ref("name"),
      path: "/dr-lab",
      accessKeyId: key.ref("access_key"),
      secretAccessKey: key.ref("secret_key"),
      cipherPassphrase: "passphrase-reference",
      mediaCipherPassphrase: "media-passphrase-reference",
      retentionDays: 45,
    });
  });
});
