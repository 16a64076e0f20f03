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
  const broken = fs.readFileSync(path.join(workflowsDirectory, "deploy.yml"), "utf8").replace("needs: test", "needs: tests");
  fs.writeFileSync(path.join(directory, "deploy.yml"), broken);
  const result = lint(directory);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/job "deploy" needs job "tests" which does not exist/);
});

describe("plan review on pull requests", () => {
  const plan = workflow("plan-review.yml");

  test("runs the tests, then plans, and updates one comment", () => {
    expect(Object.keys(plan.on)).toEqual(["pull_request"]);
    expect(plan.jobs.plan.needs).toBe("test");
    expect(JSON.stringify(plan.jobs.test.steps)).toContain("bash .ci/run");
    const commentStep = plan.jobs.plan.steps.find((step) => step.uses?.startsWith("actions/github-script"))!;
    expect(commentStep.with.script).toContain("updateComment");
    expect(commentStep.with.script).toContain("<!-- dr-estate-plan-review -->");
    expect(JSON.stringify(plan.jobs.plan.steps)).toMatch(/cdktf diff.*tee plan\.txt/);
    expect(JSON.stringify(plan.jobs.plan.steps)).toContain("npm run --silent review -- --plan plan.txt");
  });
});

describe("deploy from main", () => {
  const deploy = workflow("deploy.yml");

  test("deploys behind the protected environment, never two at once", () => {
    expect(Object.keys(deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(deploy.concurrency).toEqual({ group: "deploy-estate", "cancel-in-progress": false });
    expect(deploy.jobs.deploy.environment).toBe("production");
    expect(deploy.jobs.deploy.needs).toBe("test");
    expect(deploy.jobs.deploy.steps.at(-1)!.run).toBe("npx cdktf deploy --auto-approve");
  });

  test.each(["plan-review.yml", "deploy.yml"])("%s takes credentials only from repository secrets", (name) => {
    for (const job of Object.values(workflow(name).jobs)) {
      for (const [variable, value] of Object.entries(job.env ?? {})) {
        if (/TOKEN|SECRET|KEY|PASSPHRASE/.test(variable)) {
          expect(value).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
        }
      }
    }
  });
});
