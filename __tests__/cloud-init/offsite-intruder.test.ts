// The off-site copy survives an intruder with root on a data node. The bucket keeps versions, and
// the node's key may put, get, list and delete objects but not remove versions, change versioning
// or lifecycle, or the bucket policy. With that key, the shipped pgBackRest setup backs up into a
// real S3 server (MinIO over TLS); then the intruder deletes every object the way `aws s3 rm
// --recursive` does, which leaves delete markers. An administrator's key removes the markers and
// pgBackRest restores the newest backup. MinIO's admin API needs the `mc` client, which is not
// here: the node's key is an STS AssumeRole credential with the node's policy as its session
// policy, which MinIO intersects with its parent's rights exactly as it would a user's policy.
import * as fs from "node:fs";
import { AssumeRoleProvider } from "minio/dist/main/AssumeRoleProvider";
import { PgbackrestLab, minioRoot, waitFor } from "../support/pgbackrest-lab";

const ports = { postgres: 15535, restored: 15536, minio: 19160 } as const;
const bucket = "mhc-dr-offsite-backups";
const lab = new PgbackrestLab({ ports, bucket });

/** What a data node's key may do in the off-site bucket: the repository's daily work, nothing that removes history. */
const nodeKeyPolicy = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: [`arn:aws:s3:::${bucket}/*`] },
    { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"], Resource: [`arn:aws:s3:::${bucket}`] },
    {
      Effect: "Deny",
      Action: ["s3:DeleteObjectVersion", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:DeleteBucket", "s3:PutBucketObjectLockConfiguration"],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    },
  ],
};

interface Version {
  name: string;
  versionId: string;
  isDeleteMarker: boolean;
  isLatest: boolean;
}

async function versions(client = lab.client): Promise<Version[]> {
  const found: Version[] = [];
  for await (const item of client.listObjects(bucket, "", true, { IncludeVersion: true })) {
    const { name, versionId, isDeleteMarker, isLatest } = item as unknown as Record<string, unknown>;
    found.push({ name: String(name), versionId: String(versionId), isDeleteMarker: isDeleteMarker === true, isLatest: String(isLatest) === "true" });
  }
  return found;
}

async function currentNames(client = lab.client): Promise<string[]> {
  const names: string[] = [];
  for await (const item of client.listObjects(bucket, "", true)) names.push(item.name!);
  return names.sort();
}

/** The S3 error code a request fails with, or "ok". */
const outcome = (request: Promise<unknown>) => request.then(() => "ok", (e: { code?: string }) => e.code ?? String(e));

let node: { accessKey: string; secretKey: string; sessionToken: string };

beforeAll(async () => {
  await lab.startMinio();
  await lab.client.makeBucket(bucket);
  await lab.client.setBucketVersioning(bucket, { Status: "Enabled" });
  const provider = new AssumeRoleProvider({
    stsEndpoint: `https://localhost:${ports.minio}`,
    accessKey: minioRoot.accessKey,
    secretKey: minioRoot.secretKey,
    policy: JSON.stringify(nodeKeyPolicy),
    durationSeconds: 3600,
    transportAgent: new (await import("node:https")).Agent({ ca: lab.caPem }),
  });
  const credentials = await provider.getCredentials();
  node = { accessKey: credentials.accessKey, secretKey: credentials.secretKey, sessionToken: credentials.sessionToken! };

  // The node's pgBackRest holds only the node's key.
  const offsite = lab.offsite(node.accessKey, node.secretKey);
  const config = lab.pgbackrestConf(offsite).replace(`repo2-s3-key-secret=${node.secretKey}\n`, `repo2-s3-key-secret=${node.secretKey}\nrepo2-s3-token=${node.sessionToken}\n`);
  expect(config).toContain("repo2-s3-token=");
  fs.writeFileSync(lab.configFile, config, { mode: 0o644 });
  lab.initPrimary();
  lab.psql("CREATE TABLE plays (id bigserial PRIMARY KEY, note text)");
  lab.psql("INSERT INTO plays (note) SELECT md5(g::text) FROM generate_series(1, 5000) g");
}, 180_000);

afterAll(() => lab.stop());

test("with the node's key pgBackRest backs up and expires as usual; the key cannot remove history", async () => {
  for (const step of [["stanza-create"], ["--repo=2", "--type=full", "backup"], ["--repo=2", "--type=full", "backup"], ["--repo=2", "--repo2-retention-full-type=count", "--repo2-retention-full=1", "expire"]]) {
    const result = lab.pgbackrest(...step);
    expect([step.join(" "), result.code, result.code === 0 ? "" : result.stderr.slice(-1500)]).toEqual([step.join(" "), 0, ""]);
  }
  const nodeClient = lab.s3Client(node);
  const [someVersion] = (await versions()).filter((v) => !v.isDeleteMarker);
  expect(await outcome(nodeClient.removeObject(bucket, someVersion.name, { versionId: someVersion.versionId }))).toBe("AccessDenied");
  expect(await outcome(nodeClient.setBucketVersioning(bucket, { Status: "Suspended" }))).toBe("AccessDenied");
  expect(await outcome(nodeClient.setBucketLifecycle(bucket, { Rule: [{ ID: "wipe", Status: "Enabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] }))).toBe("AccessDenied");
  expect(await outcome(nodeClient.setBucketPolicy(bucket, "{}"))).toBe("AccessDenied");
  expect(await outcome(nodeClient.removeBucket(bucket))).toBe("AccessDenied");
  // expire's deletes left delete markers over the older set: its versions are still there.
  expect((await versions()).some((v) => v.isDeleteMarker)).toBe(true);
}, 600_000);

test("an intruder's delete of everything with the node's key leaves the data restorable by an administrator", async () => {
  lab.psql("INSERT INTO plays (note) VALUES ('after the last backup')");
  await lab.archiveCurrentWal();
  const expectedRows = lab.psql("SELECT count(*) FROM plays");
  const before = await currentNames();
  expect(before.length).toBeGreaterThan(10);

  // What `aws s3 rm --recursive` does with the node's key: DeleteObjects without version ids.
  const nodeClient = lab.s3Client(node);
  const deleted = await nodeClient.removeObjects(bucket, before);
  expect(deleted.filter((r) => r?.Error)).toEqual([]);
  expect(await currentNames(nodeClient)).toEqual([]);
  const [gone] = JSON.parse(lab.pgbackrest("--repo=2", "info", "--output=json").stdout);
  expect([gone.backup, gone.repo[0].status.message]).toEqual([[], "missing stanza data"]);

  // The administrator removes the markers the intruder left: every object is current again.
  const markers = (await versions()).filter((v) => v.isDeleteMarker && v.isLatest && before.includes(v.name));
  expect(markers.map((m) => m.name).sort()).toEqual(before);
  for (const marker of markers) await lab.client.removeObject(bucket, marker.name, { versionId: marker.versionId });
  expect(await currentNames()).toEqual(before);

  const restored = lab.mkdir("postgres", "pg", "restored");
  fs.chmodSync(restored, 0o700);
  lab.mustAsPostgres(["pgbackrest", "--stanza=mhc-dr", "--repo=2", `--pg1-path=${restored}`, "--archive-mode=off", "restore"]);
  lab.startCluster(restored, ports.restored);
  await waitFor("the restored cluster out of recovery", 90_000, () => {
    const result = lab.asPostgres(["psql", "-X", "-A", "-t", "-h", lab.dirs.sock, "-p", String(ports.restored), "-d", "mhc", "-c", "SELECT pg_is_in_recovery()"]);
    return result.stdout.trim() === "f" ? true : undefined;
  });
  expect(lab.psql("SELECT count(*) FROM plays", ports.restored)).toBe(expectedRows);
  expect(lab.psql("SELECT count(*) FROM plays WHERE note = 'after the last backup'", ports.restored)).toBe("1");
}, 600_000);
