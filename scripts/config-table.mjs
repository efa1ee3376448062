// Regenerates the settings table of docs/configuration.md from the settings
// schema (run after `npm run build`): node scripts/config-table.mjs
// Columns are padded to a common width, so the table reads as a table in a terminal too.
import { readFileSync, writeFileSync } from 'node:fs';
import { SERVE_SETTINGS } from '../dist/cli/schema.js';

const cell = (text) => text.replace(/\|/g, '\\|');
const rows = SERVE_SETTINGS.map((s) => [
  `\`--${s.flag}\``,
  s.env.map((e) => `\`${e}\``).join(', ') || '–',
  `\`${s.key}\``,
  s.default === undefined ? '–' : `\`${s.default}\``,
  cell(s.help),
]);
const path = new URL('../docs/configuration.md', import.meta.url);
const doc = readFileSync(path, 'utf8').split('\n');
const start = doc.findIndex((line) => line.startsWith('| flag'));
const header = doc[start]
  .split('|')
  .slice(1, -1)
  .map((text) => text.trim());
const widths = header.map((text, i) => Math.max(text.length, ...rows.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((text, i) => text.padEnd(widths[i])).join(' | ')} |`;
let end = start + 2;
while (doc[end]?.startsWith('|')) end++;
doc.splice(
  start,
  end - start,
  line(header),
  `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
  ...rows.map(line),
);
writeFileSync(path, doc.join('\n'));
