// The media scenario (`npm run drill -- --scenario media`): uploads written on the primary reach the
// standby through the shipped media-replicate.sh, how fast (1,000 small files, 10 large ones); after
// the unplanned failover the new primary holds every file acknowledged more than N seconds before
// the loss (N measured); after the old primary rejoins, the push runs the other way and nothing
// newer is lost: the files only the old primary had stay there or in its trash.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { sleep } from "../tools/wait";
import { DataRole } from "./lab/layout";
import { MediaNode } from "./lab/media";
import { DrillContext, rejoin, unplannedFailover } from "./scenarios";

interface WrittenFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
  /** When the write returned to the uploader (ms). */
  readonly at: number;
}

export interface LagFigures {
  readonly count: number;
  /** Files that reached the other node complete and identical within the wait. */
  readonly arrived: number;
  readonly bytes_each: number;
  readonly p50_seconds: number;
  readonly p99_seconds: number;
  readonly max_seconds: number;
}

export interface MediaResult {
  readonly ok: boolean;
  readonly timer_interval_seconds: number;
  readonly small_files: LagFigures;
  readonly large_files: LagFigures;
  readonly failover: {
    readonly old_primary: DataRole;
    readonly new_primary: DataRole;
    readonly acknowledged_before_loss: number;
    readonly on_new_primary: number;
    /** Every file acknowledged more than this long before the loss is on the new primary. */
    readonly all_present_older_than_seconds: number;
    readonly missing_youngest_seconds: number | null;
  };
  readonly after_rejoin: {
    readonly pushed_by: DataRole;
    readonly files: number;
    readonly arrived: number;
    readonly max_lag_seconds: number;
    /** Files only the old primary had (written after its last push): kept in place or in its trash. */
    readonly only_on_old_primary: number;
    readonly only_on_old_primary_kept: number;
    /** Files the new primary held before the rejoin and still holds, unchanged. */
    readonly new_primary_files_intact: boolean;
  };
}

const round = (ms: number) => Math.round(ms / 10) / 100;
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function write(dir: string, name: string, bytes: number): WrittenFile {
  const content = randomBytes(bytes);
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), content);
  return { name, sha256: createHash("sha256").update(content).digest("hex"), bytes, at: Date.now() };
}

const holds = (dir: string, file: WrittenFile) => {
  const where = path.join(dir, file.name);
  return fs.existsSync(where) && fs.statSync(where).size === file.bytes && sha256(where) === file.sha256;
};

/** When each file appeared complete in DIR (polled every 100 ms), as seconds after it was written. */
async function arrivals(dir: string, files: readonly WrittenFile[], seconds: number): Promise<number[]> {
  const arrived = new Map<string, number>();
  const deadline = Date.now() + seconds * 1000;
  while (arrived.size < files.length && Date.now() < deadline) {
    for (const file of files) {
      if (!arrived.has(file.name) && fs.existsSync(path.join(dir, file.name)) && fs.statSync(path.join(dir, file.name)).size === file.bytes) {
        arrived.set(file.name, Date.now());
      }
    }
    await sleep(100);
  }
  return files.filter((f) => arrived.has(f.name) && holds(dir, f)).map((f) => (arrived.get(f.name)! - f.at) / 1000);
}

function lag(files: readonly WrittenFile[], lags: number[]): LagFigures {
  const sorted = [...lags].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return {
    count: files.length,
    arrived: lags.length,
    bytes_each: files[0]?.bytes ?? 0,
    p50_seconds: Math.round(at(0.5) * 100) / 100,
    p99_seconds: Math.round(at(0.99) * 100) / 100,
    max_seconds: Math.round(at(1) * 100) / 100,
  };
}

/** Writes COUNT files of BYTES each on the primary, RATE per second; returns them with their lag to the standby. */
async function burst(from: MediaNode, to: MediaNode, prefix: string, count: number, bytes: number, rate: number) {
  const files: WrittenFile[] = [];
  for (let i = 0; i < count; i++) {
    files.push(write(from.dir, `${prefix}/${i}.bin`, bytes));
    await sleep(1000 / rate);
  }
  const lags = await arrivals(to.dir, files, 4 * to.intervalSeconds + 60);
  return { files, figures: lag(files, lags) };
}

export async function mediaScenario(context: DrillContext): Promise<MediaResult> {
  const { lab, log } = context;
  const before = await lab.waitForHealthyFormation(180);
  const media = { primary: new MediaNode(lab.nodes.primary), standby: new MediaNode(lab.nodes.standby) };
  media.primary.start();
  media.standby.start();
  try {
    const source = media[before.primary];
    const replica = media[before.secondary];
    log(`media: 1,000 small files on ${before.primary}, 100 per second`);
    const small = await burst(source, replica, "uploads/small", 1000, 2048, 100);
    log(`media: small files p50 ${small.figures.p50_seconds} s, p99 ${small.figures.p99_seconds} s (${small.figures.arrived} of 1,000 arrived)`);
    log(`media: 10 large files (20 MiB) on ${before.primary}, one per second`);
    const large = await burst(source, replica, "uploads/large", 10, 20 * 1024 * 1024, 1);
    log(`media: large files p50 ${large.figures.p50_seconds} s, p99 ${large.figures.p99_seconds} s (${large.figures.arrived} of 10 arrived)`);

    // Uploads keep coming (10 per second) until the primary is lost; the node's push dies with it.
    const trickle: WrittenFile[] = [];
    let lostAt = 0;
    const uploads = (async () => {
      for (let i = 0; lostAt === 0; i++) {
        trickle.push(write(source.dir, `uploads/trickle/${i}.bin`, 4096));
        await sleep(100);
      }
    })();
    await sleep(3 * source.intervalSeconds * 1000);
    const unplanned = await unplannedFailover(context, () => {
      lostAt = Date.now();
      source.lose();
    });
    await uploads;
    const acknowledged = trickle.filter((f) => f.at < lostAt);
    const missing = acknowledged.filter((f) => !holds(replica.dir, f));
    const oldestMissing = missing.length === 0 ? null : Math.max(...missing.map((f) => lostAt - f.at));
    log(`media: after the failover ${unplanned.new_primary} holds ${acknowledged.length - missing.length} of ${acknowledged.length} uploads; missing ones at most ${oldestMissing === null ? 0 : round(oldestMissing)} s old`);
    const newPrimaryBefore = [...small.files, ...large.files, ...acknowledged].filter((f) => holds(replica.dir, f));

    // The old primary's machine comes back: sshd and the timer with its keeper, which rejoins it as a standby.
    source.start();
    const rejoined = await rejoin(context, before.primary);
    log(`media: ${before.primary} rejoined as standby (${rejoined.ok ? "ok" : "NOT ok"}); uploads now go to ${before.secondary}`);
    const reverse: WrittenFile[] = [];
    for (let i = 0; i < 50; i++) {
      reverse.push(write(replica.dir, `uploads/after-failover/${i}.bin`, 4096));
      await sleep(100);
    }
    const reverseLags = await arrivals(source.dir, reverse, 4 * source.intervalSeconds + 60);
    // One more push after the last arrival, so every deletion the new primary's push makes is done.
    await sleep((source.intervalSeconds + 5) * 1000);
    const onlyOld = missing;
    const trash = path.join(source.dir, ".media-trash");
    const keptSomewhere = (f: WrittenFile) =>
      holds(source.dir, f) || (fs.existsSync(trash) && fs.readdirSync(trash).some((day) => holds(path.join(trash, day), f)));
    const kept = onlyOld.filter(keptSomewhere).length;
    const intact = newPrimaryBefore.every((f) => holds(replica.dir, f));
    const allPresentOlderThan = oldestMissing === null ? 0 : Math.ceil(oldestMissing / 1000);
    const ok =
      small.figures.arrived === 1000 && large.figures.arrived === 10 && reverseLags.length === reverse.length && kept === onlyOld.length && intact && rejoined.ok &&
      allPresentOlderThan <= 2 * source.intervalSeconds + 5;
    return {
      ok,
      timer_interval_seconds: source.intervalSeconds,
      small_files: small.figures,
      large_files: large.figures,
      failover: {
        old_primary: before.primary,
        new_primary: unplanned.new_primary,
        acknowledged_before_loss: acknowledged.length,
        on_new_primary: acknowledged.length - missing.length,
        all_present_older_than_seconds: allPresentOlderThan,
        missing_youngest_seconds: missing.length === 0 ? null : round(Math.min(...missing.map((f) => lostAt - f.at))),
      },
      after_rejoin: {
        pushed_by: before.secondary,
        files: reverse.length,
        arrived: reverseLags.length,
        max_lag_seconds: reverseLags.length === 0 ? 0 : Math.round(Math.max(...reverseLags) * 100) / 100,
        only_on_old_primary: onlyOld.length,
        only_on_old_primary_kept: kept,
        new_primary_files_intact: intact,
      },
    };
  } finally {
    await Promise.all([media.primary.stop(), media.standby.stop()]);
  }
}
