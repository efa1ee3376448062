/**
 * Writes a run's results under `bench/results/`: JSON with every raw figure,
 * and markdown with the machine and the tables, both committed with the code
 * they measured.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MachineInfo, machineTable } from './machine.js';
import type { ScenarioResult } from './scenario.js';
import { REPO_ROOT } from './scratch.js';
import { formatDuration, formatMarkdown } from './table.js';

/** One scenario's results within a run. */
export interface ScenarioReport extends ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly durationMs: number;
  /** Share of the CPU (0 to 1) other processes used while it ran: above a few percent, figures suffer. */
  readonly otherCpu: number;
}

/** A whole run. */
export interface RunReport {
  readonly mode: 'quick' | 'full';
  /** The command that produced it, to run it again. */
  readonly command: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  /** What may have skewed the figures (other work on the machine). */
  readonly warnings: readonly string[];
  /** Where the database files were, and why there. */
  readonly scratch: { readonly dir: string; readonly reason: string };
  readonly scenarios: readonly ScenarioReport[];
}

/** The run as markdown: what ran where, then each scenario's tables and notes. */
export function toMarkdown(report: RunReport): string {
  const parts = [
    `# Andon benchmarks: ${report.mode} run`,
    '',
    `Run ${report.startedAt} with \`${report.command}\`, in ${formatDuration(report.durationMs)}.`,
    `Database files in ${report.scratch.dir} (${report.scratch.reason}).`,
    ...report.warnings.map((warning) => `\n**Warning:** ${warning}`),
    '',
    formatMarkdown(machineTable(report.machine)),
  ];
  for (const scenario of report.scenarios) {
    parts.push('', `## ${scenario.title}`, '', scenario.description);
    parts.push(
      '',
      `\`${scenario.name}\`, ${formatDuration(scenario.durationMs)}; other processes used ${Math.round(scenario.otherCpu * 100)}% of the CPU meanwhile.`,
    );
    for (const table of scenario.tables) parts.push('', formatMarkdown(table));
    if (scenario.notes.length > 0) {
      parts.push('', ...scenario.notes.map((note) => `- ${note}`));
    }
  }
  return `${parts.join('\n')}\n`;
}

/**
 * Formats files with the repository's formatter: results are committed, and
 * `npm test` runs `biome check .` over them. Says so on stderr when it cannot.
 */
function format(paths: readonly string[]): void {
  try {
    execFileSync(
      join(REPO_ROOT, 'node_modules', '.bin', 'biome'),
      ['format', '--write', ...paths],
      {
        cwd: REPO_ROOT,
        stdio: 'pipe',
      },
    );
  } catch (error) {
    process.stderr.write(
      `bench: Biome could not format the results (${(error as Error).message.split('\n')[0]}); ` +
        'run `npm run format` before committing them.\n',
    );
  }
}

/** Writes `<name>.json` and `<name>.md` into `dir`, formatted; returns their paths. */
export function writeResults(dir: string, name: string, report: RunReport): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const markdown = join(dir, `${name}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, toMarkdown(report));
  format([json, markdown]);
  return [json, markdown];
}
