/**
 * What the benchmarks ran on: figures mean little without the CPU, memory,
 * runtime, SQLite build and the disk under the database files.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { familyCpuMs } from '../peers/peer.js';
import type { Table } from './table.js';
import { formatBytes } from './table.js';

/** The disk a directory is on, as `df` and the kernel describe it. */
export interface DiskInfo {
  /** The directory asked about. */
  readonly path: string;
  /** The device (`/dev/vda`), or a pseudo file system's name (`tmpfs`). */
  readonly device: string;
  /** File system type (`ext4`, `tmpfs`, `overlay`...). */
  readonly type: string;
  readonly mountedOn: string;
  /** What the block device reports: `ssd`, `rotational`, or `unknown` (no block device). */
  readonly medium: 'ssd' | 'rotational' | 'unknown';
}

/** The machine a run measured. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly ramBytes: number;
  readonly freeRamBytes: number;
  /** Load averages over 1, 5 and 15 minutes when the run started (they include earlier runs). */
  readonly loadAverage: readonly number[];
  /** Share of the CPU (0 to 1) other processes used in the second before the run. */
  readonly busyBefore: number;
  readonly os: string;
  readonly node: string;
  readonly sqlite: string;
  readonly betterSqlite3: string;
  readonly disk: DiskInfo;
}

/** Reads what `df -PT` says about the file system holding `path`. */
export function describeDisk(path: string): DiskInfo {
  const out = execFileSync('df', ['-PT', path], { encoding: 'utf8' }).trim().split('\n');
  const fields = (out[out.length - 1] ?? '').split(/\s+/);
  const device = fields[0] ?? 'unknown';
  return {
    path,
    device,
    type: fields[1] ?? 'unknown',
    mountedOn: fields[6] ?? 'unknown',
    medium: blockMedium(device),
  };
}

/** The `rotational` flag of a block device (of its parent disk, for a partition). */
function blockMedium(device: string): DiskInfo['medium'] {
  if (!device.startsWith('/dev/')) return 'unknown';
  try {
    const sys = realpathSync(join('/sys/class/block', basename(realpathSync(device))));
    for (const dir of [sys, join(sys, '..')]) {
      try {
        return readFileSync(join(dir, 'queue/rotational'), 'utf8').trim() === '1'
          ? 'rotational'
          : 'ssd';
      } catch {
        // A partition has no queue/ of its own; its disk (the parent) does.
      }
    }
  } catch {
    // No sysfs entry (containers without /sys, device-mapper names): say unknown.
  }
  return 'unknown';
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** How long the CPU is watched before a run to see whether other work is using it, in ms. */
const BUSY_SAMPLE_MS = 1_000;

/** Time all cores spent idle and in all, in ms, since boot. */
function cpuTotals(): { idle: number; all: number } {
  let idle = 0;
  let all = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, irq } = cpu.times;
    idle += cpu.times.idle;
    all += cpu.times.idle + user + nice + sys + irq;
  }
  return { idle, all };
}

/**
 * Starts watching the CPU; the function returned gives the share of all
 * cores' time (0 to 1) that other processes used since: the machine's busy
 * time less this process's own and its children's (servers, load workers,
 * publishers it started). Benchmarks share the machine with whatever else
 * runs, and a figure taken while it was busy must say so.
 */
export function watchOtherCpu(): () => number {
  const before = cpuTotals();
  const family = familyCpuMs();
  return () => {
    const after = cpuTotals();
    const all = after.all - before.all;
    const busy = all - (after.idle - before.idle);
    const mine = familyCpuMs() - family;
    return all > 0 ? Math.min(1, Math.max(0, (busy - mine) / all)) : 0;
  };
}

/** The share of the CPU other processes used over `ms`. */
async function otherCpuOver(ms: number): Promise<number> {
  const other = watchOtherCpu();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return other();
}

/** Describes this machine, and the disk under `dataDir`. */
export async function describeMachine(dataDir: string): Promise<MachineInfo> {
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    ramBytes: totalmem(),
    freeRamBytes: freemem(),
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
    busyBefore: await otherCpuOver(BUSY_SAMPLE_MS),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    sqlite,
    betterSqlite3: packageVersion('better-sqlite3'),
    disk: describeDisk(dataDir),
  };
}

/** The machine as a two-column table. */
export function machineTable(machine: MachineInfo): Table {
  const { disk } = machine;
  return {
    title: 'Machine',
    columns: ['What', 'Value'],
    rows: [
      ['CPU', machine.cpu],
      ['Cores', String(machine.cores)],
      ['RAM', `${formatBytes(machine.ramBytes)} (${formatBytes(machine.freeRamBytes)} free)`],
      [
        'Load at start',
        `${machine.loadAverage.join(', ')} (1, 5, 15 min); other processes used ${Math.round(machine.busyBefore * 100)}% of the CPU in the second before`,
      ],
      ['OS', machine.os],
      ['Node.js', machine.node],
      ['SQLite', `${machine.sqlite} (better-sqlite3 ${machine.betterSqlite3})`],
      [
        'Data disk',
        `${disk.path}: ${disk.device}, ${disk.type} on ${disk.mountedOn}, reports ${disk.medium}`,
      ],
    ],
  };
}
