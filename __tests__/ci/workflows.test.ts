import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { builtTools } from "../../tools/built-tools";

const workflowsDirectory = path.join(__dirname, "..", "..", ".github", "workflows");
const actionlint = builtTools().bin("actionlint");

function lint(directory: string) {
  const files = fs.readdirSync(directory).map((name) => path.join(directory, name));
  try {
    execFileSync(actionlint, ["-no-color", ...files], { stdio: "pipe" });
    return { status: 0, output: "" };
  } catch (error) {
    const { status, stdout, stderr } = error as { status: number; stdout: Buffer; stderr: Buffer };
    return { status, output: `${stdout}${stderr}` };
  }
}

type Workflow = {
  on: Record<string, unknown>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, { needs?: string; environment?: string; env?: Record<string, string>; steps: Array<Record<string, any>> }>;
};
const workflow = (name: string) => parse(fs.readFileSync(path.join(workflowsDirectory, name), "utf8")) as Workflow;

test("actionlint (with shellcheck on the run: blocks) accepts every workflow", () => {
  const result = lint(workflowsDirectory);
  expect(result.output).toBe("");
  expect(result.status).toBe(0);
});

test("actionlint rejects a workflow with a broken job graph (the lint can fail)", () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "workflows-"));
  const broken = fs.readFileSync(path.join(workflowsDirectory, "deploy.yml"), "utf8").replace("needs: plan", "needs: plans");
  fs.writeFileSync(path.join(directory, "deploy.yml"), broken);
  const result = lint(directory);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/job "apply" needs job "plans" which does not exist/);
});

const runs = (workflow: Workflow, job: string) => workflow.jobs[job].steps.map((step) => step.run ?? "").join("\n");

test.each(["plan-review.yml", "deploy.yml"])("%s runs every step with bash and pipefail, and installs the pinned OpenTofu", (name) => {
  const file = workflow(name);
  // `shell: bash` is GitHub's `bash --noprofile --norc -eo pipefail {0}`; the default shell has no pipefail.
  expect(file.defaults?.run?.shell).toBe("bash");
  for (const job of Object.values(file.jobs)) {
    expect(job.steps.filter((step) => step.shell !== undefined)).toEqual([]);
    const setup = job.steps.find((step) => step.uses?.startsWith("opentofu/setup-opentofu"));
    if (setup) {
      expect(setup.with.tofu_version).toBe("${{ steps.versions.outputs.opentofu }}");
      expect(job.steps.find((step) => step.id === "versions")!.run).toContain("source tools/versions.env");
    }
  }
});

describe("plan review on pull requests", () => {
  const plan = workflow("plan-review.yml");

  test("runs the tests, then plans, and updates one comment built from the plan JSON", () => {
    expect(Object.keys(plan.on)).toEqual(["pull_request"]);
    expect(plan.jobs.plan.needs).toBe("test");
    expect(JSON.stringify(plan.jobs.test.steps)).toContain("bash .ci/run");
    const commentStep = plan.jobs.plan.steps.find((step) => step.uses?.startsWith("actions/github-script"))!;
    expect(commentStep.with.script).toContain("updateComment");
    expect(commentStep.with.script).toContain("<!-- dr-estate-plan-review -->");
    expect(commentStep.if).toBe("always()");
    expect(runs(plan, "plan")).toContain("npm run plan -- --read-only --out plan");
    expect(runs(plan, "plan")).toMatch(/--plan-json plan\/plan\.json --plan-text plan\/plan\.txt/);
  });

  test("a failed synth or plan is said in the comment and fails the job", () => {
    expect(runs(plan, "plan")).toContain("--failed synth --log synth.log");
    expect(runs(plan, "plan")).toContain("--failed plan --log plan.log");
    const last = plan.jobs.plan.steps.at(-1)!;
    expect(last.if).toBe("steps.synth.outcome != 'success' || steps.plan.outcome != 'success'");
    expect(last.run).toContain("exit 1");
  });
});

describe("deploy from main", () => {
  const deploy = workflow("deploy.yml");

  test("applies the saved, reviewed plan behind the protected environment, never two at once", () => {
    expect(Object.keys(deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(deploy.concurrency).toEqual({ group: "deploy-estate", "cancel-in-progress": false });
    expect(deploy.jobs.plan.needs).toBe("test");
    expect(runs(deploy, "plan")).toContain("npm run plan -- --read-only --out plan");
    const upload = deploy.jobs.plan.steps.find((step) => step.uses?.startsWith("actions/upload-artifact"))!;
    expect(upload.with.path).toContain("plan/plan.tfplan");
    expect(deploy.jobs.apply.needs).toBe("plan");
    expect(deploy.jobs.apply.environment).toBe("production");
    expect(deploy.jobs.apply.steps.find((step) => step.uses?.startsWith("actions/download-artifact"))!.with.name).toBe(upload.with.name);
    expect(deploy.jobs.apply.steps.at(-1)!.run).toBe("npm run apply -- --reviewed plan");
    expect(runs(deploy, "apply")).not.toMatch(/cdktf deploy|-auto-approve/);
  });

  test.each(["plan-review.yml", "deploy.yml"])("%s plans read-only in the plan environment; only apply enters production", (name) => {
    const jobs = workflow(name).jobs;
    expect(jobs.plan.environment).toBe("plan");
    const production = Object.entries(jobs).filter(([, job]) => job.environment === "production").map(([id]) => id);
    expect(production).toEqual(name === "deploy.yml" ? ["apply"] : []);
    for (const [id, job] of Object.entries(jobs)) {
      const credentials = Object.keys(job.env ?? {}).filter((variable) => /TOKEN|SECRET|KEY|PASSPHRASE/.test(variable));
      // A job without an environment would read repository secrets: none holds credentials.
      expect({ [id]: credentials.length > 0 && !job.environment }).toEqual({ [id]: false });
    }
  });

  test.each(["plan-review.yml", "deploy.yml"])("%s takes credentials only from secrets", (name) => {
    for (const job of Object.values(workflow(name).jobs)) {
      for (const [variable, value] of Object.entries(job.env ?? {})) {
        if (/TOKEN|SECRET|KEY|PASSPHRASE/.test(variable)) {
          expect(value).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
        }
      }
    }
  });
});
