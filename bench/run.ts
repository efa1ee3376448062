/**
 * The benchmark runner: `node --import tsx bench/run.ts [--full] [--only a,b] [--dir path]`.
 *
 * Runs the scenarios one after the other (never in parallel: they would
 * share two cores and measure each other), prints their tables, and writes
 * the results as JSON and markdown under `bench/results/`: `quick.*` or
 * `full.*`, suffixed with the scenario names when `--only` picked some.
 * Every scenario stops by itself; quick mode takes well under three minutes.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { acquireBenchLock } from './lib/load/lock.js';
import { describeMachine, machineTable, watchOtherCpu } from './lib/machine.js';
import { type RunReport, type ScenarioReport, writeResults } from './lib/results.js';
import type { Scenario } from './lib/scenario.js';
import { createScratch, REPO_ROOT } from './lib/scratch.js';
import { formatDuration, formatText } from './lib/table.js';
import { fanout } from './scenarios/fanout.js';
import { idleRss } from './scenarios/idle-rss.js';
import { latency } from './scenarios/latency.js';
import { manyTopics } from './scenarios/many-topics.js';
import { publish } from './scenarios/publish.js';
import { reconnectStorm } from './scenarios/reconnect-storm.js';
import { redis } from './scenarios/redis.js';
import { storeCommit } from './scenarios/store-commit.js';
import { storeReplay } from './scenarios/store-replay.js';
import { workers } from './scenarios/workers.js';

/** Share of the CPU other processes may use, before or during a run, before its figures are suspect. */
const BUSY_LIMIT = 0.2;

/** Every scenario, in the order a full run takes them. */
const SCENARIOS: readonly Scenario[] = [
  storeCommit,
  storeReplay,
  fanout,
  latency,
  idleRss,
  workers,
  publish,
  reconnectStorm,
  manyTopics,
  redis,
];

const USAGE = `Usage: node --import tsx bench/run.ts [--full] [--only name,name] [--dir path]
  --full   longer runs and full data sizes (default: quick mode)
  --only   run only these scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}
  --dir    where to put database files (default: the temp directory if it is on
           the repository's disk and not tmpfs, else bench/.scratch)`;

function parse(): { full: boolean; only: Scenario[] | undefined; dir: string | undefined } {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      only: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let only: Scenario[] | undefined;
  if (values.only !== undefined) {
    only = values.only.split(',').map((name) => {
      const scenario = SCENARIOS.find((s) => s.name === name.trim());
      if (scenario === undefined) throw new Error(`Unknown scenario "${name}".\n${USAGE}`);
      return scenario;
    });
  }
  return { full: values.full, only, dir: values.dir };
}

async function main(): Promise<void> {
  const options = parse();
  const mode = options.full ? 'full' : 'quick';
  const scenarios = options.only ?? SCENARIOS;
  const scratch = createScratch(options.dir);
  const log = (line: string) => process.stderr.write(`  ${line}\n`);
  const machine = await describeMachine(scratch.dir);
  const startedAt = new Date();
  console.log(formatText(machineTable(machine)));
  console.log(`\nDatabase files in ${scratch.dir} (${scratch.reason}).`);
  const warnings: string[] = [];
  if (machine.busyBefore > BUSY_LIMIT) {
    warnings.push(
      `other processes used ${Math.round(machine.busyBefore * 100)}% of the CPU just before the run: figures may be low and noisy.`,
    );
  }
  for (const warning of warnings) console.log(`Warning: ${warning}`);
  const reports: ScenarioReport[] = [];
  // Held for the whole run (scenarios take it again, nested): no other
  // benchmark starts between two scenarios and shares the cores.
  const releaseLock = await acquireBenchLock(log);
  // Ctrl-C: end like a normal exit, so the lock and the scratch files go.
  process.once('SIGINT', () => {
    scratch.remove();
    process.exit(130);
  });
  try {
    for (const scenario of scenarios) {
      console.log(`\n== ${scenario.title} (${scenario.name}, ${mode})`);
      const start = performance.now();
      const other = watchOtherCpu();
      const result = await scenario.run({ full: options.full, scratch: scratch.dir, log });
      const otherCpu = other();
      const durationMs = performance.now() - start;
      for (const table of result.tables) console.log(`\n${formatText(table)}`);
      for (const note of result.notes) console.log(`- ${note}`);
      const share = `${Math.round(otherCpu * 100)}%`;
      console.log(`(${formatDuration(durationMs)}; other processes used ${share} of the CPU)`);
      if (otherCpu > BUSY_LIMIT) {
        warnings.push(`other processes used ${share} of the CPU during ${scenario.name}.`);
        console.log(`Warning: ${warnings[warnings.length - 1]}`);
      }
      reports.push({
        name: scenario.name,
        title: scenario.title,
        description: scenario.description,
        durationMs,
        otherCpu,
        ...result,
      });
    }
  } finally {
    scratch.remove();
    releaseLock();
  }
  const argv = process.argv.slice(2).join(' ');
  const report: RunReport = {
    mode,
    command: `node --import tsx bench/run.ts${argv === '' ? '' : ` ${argv}`}`,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    machine,
    warnings,
    scratch: { dir: scratch.dir, reason: scratch.reason },
    scenarios: reports,
  };
  const name =
    options.only === undefined ? mode : `${mode}-${scenarios.map((s) => s.name).join('-')}`;
  const written = writeResults(fileURLToPath(new URL('results/', import.meta.url)), name, report);
  console.log(`\nResults: ${written.map((path) => path.replace(REPO_ROOT, '')).join(', ')}`);
}

await main();
