/**
 * Tables of results and the number formats they use: one table renders as
 * aligned text on the terminal and as a markdown table in the results file.
 */

/** A table of already formatted cells. */
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A number (with a unit, a rate, a remark in brackets), or a dash for none. */
const NUMERIC = /^(?:[-+]?[\d,.]+\s*[a-zA-Zµ×%/]*(?: \([^)]*\))?|—)$/;

/** True for a column of numbers (empty cells aside): it is right-aligned. */
function numericColumn(table: Table, i: number): boolean {
  const cells = table.rows.map((row) => row[i] ?? '').filter((cell) => cell !== '');
  return cells.length > 0 && cells.every((cell) => NUMERIC.test(cell));
}

/** The table as aligned plain text, with its title above. */
export function formatText(table: Table): string {
  const right = table.columns.map((_, i) => numericColumn(table, i));
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [table.title, line(table.columns), rule, ...table.rows.map(line)].join('\n');
}

/** The table in GitHub markdown, with its title as a level-3 heading. */
export function formatMarkdown(table: Table): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const align = table.columns.map((_, i) => (numericColumn(table, i) ? '---:' : '---'));
  return [
    `### ${table.title}`,
    '',
    `| ${table.columns.map(escapeCell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}

/** An integer with thousands separators: `12,345`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A duration given in ms, in the unit that reads best, with three significant digits. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** A ratio: `12.3×`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  return ratio >= 1000 ? `${formatCount(ratio)}×` : `${ratio.toPrecision(3)}×`;
}

/** A size in bytes, in binary units: `41.2 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toPrecision(3)} ${units[unit]}`;
}
