/**
 * Sources that run in another process. Under `andon serve --workers` the
 * primary runs the sources once for every worker; each worker serves
 * `/healthz` with stand-ins that report the health the primary last sent.
 */
import type { Source, SourceHealth } from './source.js';

/** Tags the primary's health reports apart from other messages on the channel. */
export const SOURCES_TAG = 'andon-sources';

/** The primary's report: each source's health, by name. */
export interface SourcesReport {
  readonly tag: typeof SOURCES_TAG;
  readonly health: Readonly<Record<string, SourceHealth>>;
}

/** How often the primary reports: `/healthz` of a worker is at most this stale, in ms. */
export const SOURCES_REPORT_MS = 1000;

/** The report of `sources`' health now. */
export function sourcesReport(sources: readonly Source[]): SourcesReport {
  return {
    tag: SOURCES_TAG,
    health: Object.fromEntries(sources.map((source) => [source.name, source.health()])),
  };
}

/** True when `message` is a {@link SourcesReport}. */
export function isSourcesReport(message: unknown): message is SourcesReport {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as SourcesReport).tag === SOURCES_TAG &&
    typeof (message as SourcesReport).health === 'object'
  );
}

/** Stand-ins for sources running elsewhere, and the means to update their health. */
export interface RemoteSources {
  /** One stand-in per name: `start` and `stop` do nothing, `health` is the last report. */
  readonly sources: readonly Source[];
  /** Takes a report from the process running the sources. */
  update(report: SourcesReport): void;
}

/** Stand-ins for the sources named `names`, which run in the primary process. */
export function createRemoteSources(names: readonly string[]): RemoteSources {
  const health = new Map<string, SourceHealth>(
    names.map((name) => [name, { ok: true, detail: 'runs in the primary process; no report yet' }]),
  );
  const sources = names.map(
    (name): Source => ({
      name,
      start() {},
      stop: () => Promise.resolve(),
      health: () => health.get(name)!,
    }),
  );
  return {
    sources,
    update(report) {
      for (const [name, state] of Object.entries(report.health)) {
        if (health.has(name)) health.set(name, state);
      }
    },
  };
}
