// The drill's client programs, run inside the client network namespace with
// `ip netns exec <ns> node -r ts-node/register/transpile-only drill/load.ts <mode> <json-options>`.
// Every event is one JSON line on stdout, timestamped with Date.now() (same clock as the drill).
//
//   write    inserts rows as fast as allowed into drill_writes on whichever node is writable, finds
//            that node itself (select not pg_is_in_recovery()), reconnects on failure, and reports
//            every ACKNOWLEDGED id (the autocommit INSERT returned, so its COMMIT did).
//   probe    every intervalMs tries one INSERT on one given node and reports whether it was accepted.
//   observe  every intervalMs asks every node, in parallel, whether it is writable.
//   webhook  the alert webhook: listens on 127.0.0.1:port and reports each JSON body it receives.
import * as http from "node:http";
import { Client } from "pg";

interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

interface Options {
  readonly nodes: Target[];
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** write: transactions per second, 0 for as fast as it goes. */
  readonly rate?: number;
  /** write: the id after which this writer's ids start (a second writer into the same table). */
  readonly startId?: number;
  /** webhook: the loopback port to listen on. */
  readonly port?: number;
  /** probe: the node to try. */
  readonly node?: string;
  readonly intervalMs?: number;
}

const mode = process.argv[2];
const options = JSON.parse(process.argv[3] ?? "{}") as Options;
let running = true;

function emit(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ t: Date.now(), ...event }) + "\n");
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(target: Target): Promise<Client> {
  const client = new Client({
    host: target.host,
    port: target.port,
    user: options.user,
    password: options.password,
    database: options.database,
    // sslmode=require: encrypted, the server certificate is not checked by this load client.
    ssl: { rejectUnauthorized: false },
    connectionTimeoutMillis: 1500,
    query_timeout: 3000,
    application_name: `drill-${mode}`,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

async function isWritable(client: Client): Promise<boolean> {
  // As /healthz judges it: a promoted standby stays read-only until pg_auto_failover confirms the
  // old primary is demoted, and that is not a second writable node.
  const result = await client.query(
    "select not pg_is_in_recovery() and current_setting('default_transaction_read_only') = 'off' as writable",
  );
  return result.rows[0].writable === true;
}

async function write(): Promise<void> {
  const pause = options.rate && options.rate > 0 ? 1000 / options.rate : 0;
  let id = options.startId ?? 0;
  let current: { client: Client; node: string } | undefined;
  while (running) {
    if (!current) {
      for (const target of options.nodes) {
        try {
          const client = await connect(target);
          if (await isWritable(client)) {
            current = { client, node: target.name };
            emit({ e: "connected", n: target.name });
            break;
          }
          await client.end();
        } catch {
          // not reachable or not writable: try the next node
        }
      }
      if (!current) {
        await sleep(100);
        continue;
      }
    }
    id += 1;
    const started = Date.now();
    try {
      await current.client.query("insert into drill_writes (id, node) values ($1, $2)", [id, current.node]);
      emit({ e: "ack", id, n: current.node });
    } catch (error) {
      emit({ e: "error", id, n: current.node, m: message(error) });
      current.client.end().catch(() => undefined);
      current = undefined;
      continue;
    }
    const left = pause - (Date.now() - started);
    if (left > 0) {
      await sleep(left);
    }
  }
  await current?.client.end().catch(() => undefined);
}

async function probe(): Promise<void> {
  const target = options.nodes.find((n) => n.name === options.node);
  if (!target) {
    throw new Error(`no node ${options.node}`);
  }
  let client: Client | undefined;
  while (running) {
    const started = Date.now();
    try {
      client ??= await connect(target);
      await client.query("insert into drill_probe (node) values ($1)", [target.name]);
      emit({ e: "probe", n: target.name, ok: true });
    } catch (error) {
      emit({ e: "probe", n: target.name, ok: false, m: message(error) });
      // A read-only error leaves the session usable; anything else: reconnect next time.
      if (!/read-only transaction/.test(message(error))) {
        client?.end().catch(() => undefined);
        client = undefined;
      }
    }
    await sleep(Math.max(0, (options.intervalMs ?? 200) - (Date.now() - started)));
  }
  await client?.end().catch(() => undefined);
}

async function observe(): Promise<void> {
  const clients = new Map<string, Client>();
  while (running) {
    const started = Date.now();
    const answers = await Promise.all(
      options.nodes.map(async (target) => {
        try {
          let client = clients.get(target.name);
          if (!client) {
            client = await connect(target);
            clients.set(target.name, client);
          }
          return { name: target.name, reachable: true, writable: await isWritable(client) };
        } catch {
          clients.get(target.name)?.end().catch(() => undefined);
          clients.delete(target.name);
          return { name: target.name, reachable: false, writable: false };
        }
      }),
    );
    emit({
      e: "observe",
      w: answers.filter((a) => a.writable).map((a) => a.name),
      r: answers.filter((a) => a.reachable).map((a) => a.name),
    });
    await sleep(Math.max(0, (options.intervalMs ?? 250) - (Date.now() - started)));
  }
  await Promise.all([...clients.values()].map((c) => c.end().catch(() => undefined)));
}

async function webhook(): Promise<void> {
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      emit({ e: "webhook", path: request.url, body: JSON.parse(body) });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  while (running) {
    await sleep(200);
  }
  server.close();
}

function stop(): void {
  running = false;
  // Whatever is still in flight: leave within a second.
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

const programs: Record<string, () => Promise<void>> = { write, probe, observe, webhook };
const program = programs[mode ?? ""];
if (!program) {
  console.error("usage: load.ts write|probe|observe|webhook '<json options>'");
  process.exit(2);
}
program().then(
  () => process.exit(0),
  (error) => {
    console.error(message(error));
    process.exit(1);
  },
);
