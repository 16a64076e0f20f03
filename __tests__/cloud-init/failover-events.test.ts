// The witness's failover pieces as shipped, on a real pg_auto_failover monitor (PostgreSQL 15)
// created by the shipped monitor-init.sh: the monitor runs with the shipped failover timing, and
// failover-events.sh records the monitor's events in a hash-chained log, posts them to a webhook on
// loopback (retrying when it is down), and its verify command catches altered, removed and
// reordered entries.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { monitorTimingPath } from "../../cloud-init/pieces/failover";
import { formationTextfileMetrics } from "../../cloud-init/pieces/monitoring";
import { exampleNodeConfig, makeTestCertificates } from "../support/example-node";
import { renderedFile } from "../support/rendered-files";

const monitorPort = 15490;
const webhookPort = 18490;
const scriptsDir = "/usr/local/lib/dr-estate";
const settingsDir = "/etc/dr-estate";

const certificates = makeTestCertificates();
const document = renderCloudConfig(
  exampleNodeConfig(
    "witness",
    {
      postgres: { majorVersion: 15, database: "mhc", synchronousReplication: false, source: "distribution" },
      alertWebhookUrl: `http://127.0.0.1:${webhookPort}/hooks/failover`,
    },
    certificates,
  ),
);

let work: string;
let etc: string;
let pgdata: string;
let eventsDir: string;
let webhook: http.Server;
let webhookStatus = 200;
const posts: { chain_head: string; events: { eventid: number; node: string; goal: string }[] }[] = [];

interface Result {
  readonly code: number;
  readonly output: string;
}

/** Runs a command asynchronously (the webhook listens in this process) and never throws. */
function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr });
    });
  });
}

async function mustRun(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await run(file, args, env);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited ${result.code}\n${result.output}`);
  }
  return result.output;
}

const scriptEnv = () => ({
  DR_ESTATE_ETC: etc,
  PGAF_PGDATA: pgdata,
  PGAF_PORT: String(monitorPort),
  PGAF_TLS_DIR: path.join(work, "tls"),
  NODE_ADDRESS: "127.0.0.1",
  FAILOVER_EVENTS_DIR: eventsDir,
  XDG_CONFIG_HOME: path.join(work, "xdg", "config"),
  XDG_DATA_HOME: path.join(work, "xdg", "data"),
});

const events = (...args: string[]) => run(path.join(work, "lib", "failover-events.sh"), args, scriptEnv());

const monitorSql = (sql: string) =>
  mustRun("runuser", ["-u", "postgres", "--", "psql", "-X", "-h", "/var/run/postgresql", "-p", String(monitorPort), "-d", "pg_auto_failover", "-v", "ON_ERROR_STOP=1", "-Atqc", sql]);

/** Adds an event to the monitor's own table, as the monitor does on each state change. */
const addEvent = (node: string, reported: string, goal: string) =>
  monitorSql(
    `insert into pgautofailover.event (formationid, nodeid, groupid, nodename, nodehost, nodeport, reportedstate, goalstate, description)
     values ('default', 1, 0, '${node}', '127.0.0.1', 5432, '${reported}', '${goal}', 'Setting goal state of ${node} to ${goal}: a "test"	event')`,
  );

const logLines = () => fs.readFileSync(path.join(eventsDir, "events.log"), "utf8").split("\n").filter(Boolean);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-failover-events-"));
  fs.chmodSync(work, 0o755);
  etc = path.join(work, "etc");
  pgdata = path.join(work, "pg", "data");
  eventsDir = path.join(work, "events");
  fs.mkdirSync(path.join(etc, "tls"), { recursive: true });
  fs.mkdirSync(path.join(work, "lib"));
  for (const name of ["estate.env", "secrets.env", "tls/ca.crt", "tls/node.crt", "tls/node.key", path.basename(monitorTimingPath)]) {
    fs.writeFileSync(path.join(etc, name), renderedFile(document, `${settingsDir}/${name}`));
  }
  for (const name of ["failover-lib.sh", "monitor-init.sh", "failover-events.sh", "formation-metrics.sh", "estate-switchover.sh"]) {
    fs.writeFileSync(path.join(work, "lib", name), renderedFile(document, `${scriptsDir}/${name}`), { mode: 0o755 });
  }
  for (const dir of [path.dirname(pgdata), path.join(work, "xdg", "config"), path.join(work, "xdg", "data")]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  execFileSync("chown", ["-R", "postgres:postgres", path.dirname(pgdata), path.join(work, "xdg")]);

  webhook = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (webhookStatus === 200) {
        posts.push(JSON.parse(body));
      }
      response.writeHead(webhookStatus).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(webhookPort, "127.0.0.1", resolve));

  await mustRun(path.join(work, "lib", "monitor-init.sh"), [], scriptEnv());
  await mustRun("runuser", ["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", pgdata, "-o", `-p ${monitorPort}`, "-l", path.join(work, "pg", "log"), "-w", "start"]);
}, 180_000);

afterAll(async () => {
  await run("runuser", ["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", pgdata, "-m", "immediate", "-w", "stop"]);
  await new Promise((resolve) => webhook.close(resolve));
  // The recorder makes its log append-only where the filesystem allows: lift that to clean up.
  await run("chattr", ["-a", path.join(eventsDir, "events.log")]);
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(certificates.directory, { recursive: true, force: true });
});

test("the monitor runs with the shipped failover timing, not pg_auto_failover's defaults", async () => {
  const settings = await monitorSql(
    "select name || '=' || setting from pg_settings where name in ('pgautofailover.node_considered_unhealthy_timeout', 'pgautofailover.primary_demote_timeout') order by name",
  );
  const shipped = renderedFile(document, monitorTimingPath);
  const shippedValue = (name: string) => shipped.match(new RegExp(`^pgautofailover\\.${name} = (\\d+)$`, "m"))?.[1];
  const unhealthy = shippedValue("node_considered_unhealthy_timeout");
  const demote = shippedValue("primary_demote_timeout");
  // pg_auto_failover's defaults are 20000 and 30000: the shipped timing must be what runs.
  expect([unhealthy, demote]).not.toEqual(["20000", "30000"]);
  expect(settings.trim().split("\n")).toEqual([`pgautofailover.node_considered_unhealthy_timeout=${unhealthy}`, `pgautofailover.primary_demote_timeout=${demote}`]);
});

test("record appends each monitor event once, chained, and posts only what is new", async () => {
  const before = Number(await monitorSql("select count(*) from pgautofailover.event"));
  await addEvent("primary", "primary", "draining");
  await addEvent("standby", "secondary", "prepare_promotion");
  expect((await events("record")).code).toBe(0);
  expect(logLines()).toHaveLength(before + 2);
  expect((await events("record")).code).toBe(0);
  expect(logLines()).toHaveLength(before + 2);

  await addEvent("standby", "stop_replication", "wait_primary");
  expect((await events("record")).code).toBe(0);
  const lines = logLines();
  expect(lines).toHaveLength(before + 3);
  const ids = lines.map((line) => Number(line.split("\t")[0]));
  expect(new Set(ids).size).toBe(ids.length);
  lines.forEach((line, i) => {
    const [, previous, hash, json] = line.split("\t");
    expect(previous).toBe(i === 0 ? "0".repeat(64) : lines[i - 1].split("\t")[2]);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(json).eventid).toBe(ids[i]);
  });

  expect(posts).toHaveLength(2);
  expect(posts[1].events.map((e) => e.goal)).toEqual(["wait_primary"]);
  expect(posts[1].chain_head).toBe(lines[lines.length - 1].split("\t")[2]);
  expect(posts.flatMap((p) => p.events)).toHaveLength(before + 3);

  const verified = await events("verify");
  expect(verified.code).toBe(0);
  expect(verified.output).toContain(`chain intact, ${before + 3} entries`);
});

test("verify names the first altered, removed or reordered entry and exits non-zero", async () => {
  const lines = logLines();
  expect(lines.length).toBeGreaterThanOrEqual(3);
  const verifyCopy = async (name: string, copy: string[]) => {
    const file = path.join(work, name);
    fs.writeFileSync(file, copy.join("\n") + "\n");
    return events("verify", file);
  };
  const altered = [...lines];
  altered[1] = altered[1].replace("prepare_promotion", "secondary");
  const alteredResult = await verifyCopy("altered.log", altered);
  expect(alteredResult.code).not.toBe(0);
  expect(alteredResult.output).toMatch(/line 2 .*altered/);

  const removed = lines.filter((_, i) => i !== 1);
  const removedResult = await verifyCopy("removed.log", removed);
  expect(removedResult.code).not.toBe(0);
  expect(removedResult.output).toMatch(/chain broken at line 2/);

  const reordered = [lines[0], lines[2], lines[1], ...lines.slice(3)];
  expect((await verifyCopy("reordered.log", reordered)).code).not.toBe(0);
  expect((await verifyCopy("intact.log", lines)).code).toBe(0);
});

test("events the webhook could not take are posted on a later run, and never lost from the log", async () => {
  const postsBefore = posts.length;
  webhookStatus = 500;
  await addEvent("primary", "demoted", "catchingup");
  const failed = await events("record");
  expect(failed.code).not.toBe(0);
  expect(failed.output).toContain("could not post");
  expect(logLines().pop()).toContain('"catchingup"');
  expect(posts).toHaveLength(postsBefore);

  webhookStatus = 200;
  expect((await events("record")).code).toBe(0);
  expect(posts).toHaveLength(postsBefore + 1);
  expect(posts[posts.length - 1].events.map((e) => e.goal)).toEqual(["catchingup"]);
});

test("the recorder's service and timer pass systemd-analyze verify", async () => {
  const unitDir = fs.mkdtempSync(path.join(work, "units-"));
  const script = path.join(work, "lib", "failover-events.sh");
  for (const name of ["dr-estate-failover-events.service", "dr-estate-failover-events.timer"]) {
    const unit = renderedFile(document, `/etc/systemd/system/${name}`);
    // This machine has the script in the suite's folder, not at the node's path.
    fs.writeFileSync(
      path.join(unitDir, name),
      unit.replace(`${scriptsDir}/failover-events.sh`, script).replace(`${scriptsDir}/formation-metrics.sh`, path.join(work, "lib", "formation-metrics.sh")),
    );
  }
  const result = await run("systemd-analyze", ["verify", path.join(unitDir, "dr-estate-failover-events.timer"), path.join(unitDir, "dr-estate-failover-events.service")]);
  expect(result.output).toBe("");
  expect(result.code).toBe(0);
});

test("formation-metrics.sh publishes the healthy secondaries and the last promotion as the monitor has them, and withdraws them when it cannot ask", async () => {
  const textfiles = fs.mkdtempSync(path.join(work, "textfile-"));
  const published = path.join(textfiles, "formation.prom");
  const publish = async (env: NodeJS.ProcessEnv = {}) => {
    const result = await run(path.join(work, "lib", "formation-metrics.sh"), [], { ...scriptEnv(), TEXTFILE_DIR: textfiles, ...env });
    expect(result.code).toBe(0);
    return result.output;
  };
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(fs.readFileSync(published, "utf8"))?.[1]);
  const { healthySecondaries, lastPromotionTimestamp } = formationTextfileMetrics;
  // The test sets each node's health itself: the monitor's own checks would probe addresses nobody serves.
  await monitorSql("alter system set pgautofailover.enable_health_checks = off");
  await monitorSql("select pg_reload_conf()");

  await publish();
  expect(gauge(healthySecondaries)).toBe(0);
  // Non-zero (and a throw) on any problem promtool finds in the published file.
  expect(execFileSync("promtool", ["check", "metrics"], { input: fs.readFileSync(published), encoding: "utf8" })).toBe("");

  await monitorSql(
    `insert into pgautofailover.node (groupid, nodename, nodehost, nodeport, sysidentifier, goalstate, reportedstate, health)
     values (0, 'primary', '127.0.0.2', 5432, 7000000000000000001, 'primary', 'primary', 1), (0, 'standby', '127.0.0.3', 5432, 7000000000000000001, 'secondary', 'secondary', 1)`,
  );
  await publish();
  expect(gauge(healthySecondaries)).toBe(1);
  await monitorSql("update pgautofailover.node set health = 0 where nodename = 'standby'");
  await publish();
  expect(gauge(healthySecondaries)).toBe(0);
  await monitorSql("update pgautofailover.node set health = 1, goalstate = 'catchingup' where nodename = 'standby'");
  await publish();
  expect(gauge(healthySecondaries)).toBe(0);

  // The newest prepare_promotion assignment counts; a later event of another kind does not.
  const before = Math.floor(Date.now() / 1000);
  await addEvent("standby", "secondary", "prepare_promotion");
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await addEvent("primary", "primary", "draining");
  await publish();
  expect(gauge(lastPromotionTimestamp)).toBeGreaterThanOrEqual(before);
  expect(gauge(lastPromotionTimestamp)).toBeLessThan(before + 2);

  const withdrawn = await publish({ PGAF_PORT: "1" });
  expect(withdrawn).toContain("cannot read the monitor, formation metrics withdrawn");
  expect(fs.existsSync(published)).toBe(false);
  expect(fs.readdirSync(textfiles)).toEqual([]);
});

test("estate-switchover refuses unless one primary and one secondary are settled and healthy, and shows what it sees", async () => {
  // The drill (planned switchover) runs the command through a real switch; here only its refusal.
  await monitorSql("alter system set pgautofailover.enable_health_checks = off");
  await monitorSql("select pg_reload_conf()");
  await monitorSql("delete from pgautofailover.node");
  await monitorSql(
    `insert into pgautofailover.node (groupid, nodename, nodehost, nodeport, sysidentifier, goalstate, reportedstate, health, replicationquorum)
     values (0, 'primary', '127.0.0.2', 5432, 7000000000000000001, 'primary', 'primary', 1, false),
            (0, 'standby', '127.0.0.3', 5432, 7000000000000000001, 'secondary', 'secondary', 0, false)`,
  );
  const switchover = () => run(path.join(work, "lib", "estate-switchover.sh"), [], scriptEnv());
  const unhealthy = await switchover();
  expect(unhealthy.code).toBe(1);
  expect(unhealthy.output).toContain("refused: a switchover needs one settled, healthy primary and secondary");
  expect(unhealthy.output).toContain("standby: secondary -> secondary, health 0");
  await monitorSql("update pgautofailover.node set health = 1, goalstate = 'catchingup' where nodename = 'standby'");
  expect((await switchover()).output).toContain("standby: secondary -> catchingup, health 1");
  // Refused before anything changed: both nodes are still outside the write quorum (asynchronous).
  expect((await monitorSql("select string_agg(nodename || '=' || replicationquorum, ',' order by nodeid) from pgautofailover.node")).trim()).toBe("primary=false,standby=false");
});
