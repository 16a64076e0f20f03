import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import * as Minio from "minio";
import { EstateValidationError, validateEstate } from "../../estate";
import { exampleEstateInput } from "../../estate/example-estate";
import { EstateStack } from "../../stacks/estate-stack";
import { configureStateBackend } from "../../stacks/state-backend";
import { synthesizeEstate } from "../../stacks/synthesize-estate";
import { builtTools } from "../../tools/built-tools";

function estateWithState(state: Record<string, unknown>) {
  const input = exampleEstateInput() as Record<string, unknown>;
  input.state = state;
  return validateEstate(input, "test estate");
}

describe("state backend selection", () => {
  test("the example estate keeps cdktf's local backend, so it works offline", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "state-local-"));
    const stackDirectory = synthesizeEstate(estateWithState({ backend: "local" }), outdir);
    const json = JSON.parse(fs.readFileSync(path.join(stackDirectory, "cdk.tf.json"), "utf8"));
    fs.rmSync(outdir, { recursive: true, force: true });
    expect(Object.keys(json.terraform.backend)).toEqual(["local"]);
    expect(json.terraform.encryption).toBeUndefined();
  });

  test("an S3 estate gets a locking S3 backend and, with opentofu encryption, an enforced encryption block", () => {
    const estate = estateWithState({ backend: "s3", bucket: "mhc-state", endpoint: "https://fsn1.your-objectstorage.com", region: "fsn1", encryption: "opentofu" });
    const json = JSON.parse(Testing.synth(new EstateStack(Testing.app(), "mhc-dr", { estate })));
    expect(json.terraform.backend.s3).toMatchObject({
      bucket: "mhc-state",
      key: "mhc-dr/terraform.tfstate",
      endpoints: { s3: "https://fsn1.your-objectstorage.com" },
      use_lockfile: true,
      use_path_style: true,
    });
    expect(json.terraform.encryption.state).toEqual({ method: "method.aes_gcm.state", enforced: true });
    expect(json.terraform.encryption.key_provider.pbkdf2.state.passphrase).toBe("${var.state_encryption_passphrase}");
    expect(json.variable.state_encryption_passphrase.sensitive).toBe(true);
    expect(JSON.stringify(json.terraform.backend)).not.toMatch(/access_key|secret_key/);
  });

  test.each([
    [{ backend: "s3", bucket: "mhc-state", endpoint: "http://s3.example.net" }, "state.endpoint", /https/],
    [{ backend: "s3", bucket: "mhc-state", endpoint: "https://primary.example.com" }, "state.endpoint", /not be a server of the estate/],
    [{ backend: "s3", bucket: "Bad_Bucket", endpoint: "https://s3.example.net" }, "state.bucket", /bucket name/],
    [{ backend: "s3", bucket: "mhc-state", endpoint: "https://s3.example.net", encryption: "vault" }, "state.encryption", /none or opentofu/],
    [{ backend: "consul" }, "state.backend", /local or s3/],
  ])("rejects %j", (state, field, message) => {
    try {
      estateWithState(state);
      throw new Error("accepted");
    } catch (error) {
      expect(error).toBeInstanceOf(EstateValidationError);
      const problem = (error as EstateValidationError).problems.find((p) => p.field === field);
      expect(problem?.message).toMatch(message);
    }
  });
});

describe("state in a real S3-compatible store (MinIO on loopback) with OpenTofu", () => {
  const port = 19100;
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKey: "estate-test-access", secretKey: "estate-test-secret-0123456789" };
  const bucket = "estate-state";
  const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "state-backend-"));
  const tools = builtTools();
  const tofu = tools.tofu;
  let minio: ChildProcess;
  let stackDirectory: string;

  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: credentials.accessKey,
    AWS_SECRET_ACCESS_KEY: credentials.secretKey,
    TF_VAR_state_encryption_passphrase: "correct horse battery staple",
    ...tools.tofuEnvironment,
    ...extra,
  });
  const runTofu = (args: string[], extra: Record<string, string> = {}) => {
    try {
      return { status: 0, output: execFileSync(tofu, args, { cwd: stackDirectory, env: env(extra), encoding: "utf8", stdio: "pipe" }) };
    } catch (error) {
      const { status, stdout, stderr } = error as { status: number; stdout: string; stderr: string };
      return { status, output: `${stdout}${stderr}` };
    }
  };
  const client = new Minio.Client({ endPoint: "127.0.0.1", port, useSSL: false, ...credentials });

  beforeAll(async () => {
    minio = spawn(tools.bin("minio"), ["server", path.join(workDirectory, "data"), "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${port + 1}`, "--quiet"], {
      env: { ...process.env, MINIO_ROOT_USER: credentials.accessKey, MINIO_ROOT_PASSWORD: credentials.secretKey, MINIO_BROWSER: "off" },
      stdio: "ignore",
    });
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`${endpoint}/minio/health/live`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error("MinIO did not start within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await client.makeBucket(bucket);

    // A stack with nothing but the estate's backend and encryption, and one output stored in state.
    const app = new App({ outdir: path.join(workDirectory, "cdktf.out") });
    const stack = new TerraformStack(app, "state-test");
    configureStateBackend(stack, "state-test", { backend: "s3", bucket, region: "us-east-1", endpoint, encryption: "opentofu" });
    const marker = new TerraformVariable(stack, "marker", { type: "string", default: "state-lives-in-the-bucket" });
    new TerraformOutput(stack, "stored_marker", { value: marker.stringValue });
    app.synth();
    stackDirectory = path.join(workDirectory, "cdktf.out", "stacks", "state-test");
    const init = runTofu(["init", "-input=false", "-no-color"]);
    expect(init.output).toContain("Successfully configured the backend \"s3\"");
  });

  afterAll(async () => {
    if (minio && minio.exitCode === null) {
      const exited = new Promise((resolve) => minio.on("exit", resolve));
      minio.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(workDirectory, { recursive: true, force: true });
  });

  test("apply writes the state to the bucket, encrypted, and reads it back", async () => {
    expect(runTofu(["apply", "-auto-approve", "-input=false", "-no-color"]).status).toBe(0);
    const stored = await new Promise<string>((resolve, reject) => {
      client.getObject(bucket, "state-test/terraform.tfstate").then((stream) => {
        let text = "";
        stream.on("data", (chunk) => (text += chunk));
        stream.on("end", () => resolve(text));
        stream.on("error", reject);
      }, reject);
    });
    expect(JSON.parse(stored)).toHaveProperty("encrypted_data");
    expect(stored).not.toContain("state-lives-in-the-bucket");
    expect(runTofu(["output", "-raw", "stored_marker"]).output).toBe("state-lives-in-the-bucket");
  });

  test("without the passphrase the state cannot be read", () => {
    const result = runTofu(["output", "-raw", "stored_marker"], { TF_VAR_state_encryption_passphrase: "not the passphrase at all" });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/decrypt/i);
  });

  test("a second run is refused while the first holds the lock", async () => {
    // An apply waiting for its confirmation holds the state lock.
    const first = spawn(tofu, ["apply", "-input=true", "-no-color", "-var", "marker=changed"], { cwd: stackDirectory, env: env(), stdio: ["pipe", "pipe", "pipe"] });
    let firstOutput = "";
    first.stdout!.on("data", (chunk) => (firstOutput += chunk));
    const deadline = Date.now() + 60_000;
    while (!firstOutput.includes("Enter a value")) {
      if (Date.now() > deadline) throw new Error(`the first apply never asked for confirmation:\n${firstOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const second = runTofu(["plan", "-lock-timeout=0s", "-input=false", "-no-color"]);
    expect(second.status).not.toBe(0);
    expect(second.output).toContain("Error acquiring the state lock");

    first.stdin!.end("no\n");
    await new Promise((resolve) => first.on("exit", resolve));
    expect(runTofu(["plan", "-lock-timeout=0s", "-input=false", "-no-color"]).status).toBe(0);
  });
});
