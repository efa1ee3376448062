// Regenerates the settings table of docs/configuration.md from the settings
// schema (run after `npm run build`): node scripts/config-table.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { SERVE_SETTINGS } from '../dist/cli/schema.js';

const cell = (text) => text.replace(/\|/g, '\\|');
const rows = SERVE_SETTINGS.map(
  (s) =>
    `| \`--${s.flag}\` | ${s.env.map((e) => `\`${e}\``).join(', ') || '–'} | \`${s.key}\` | ${
      s.default === undefined ? '–' : `\`${s.default}\``
    } | ${cell(s.help)} |`,
);
const path = new URL('../docs/configuration.md', import.meta.url);
const doc = readFileSync(path, 'utf8').split('\n');
const start = doc.findIndex((line) => line.startsWith('| flag'));
let end = start + 2;
while (doc[end]?.startsWith('|')) end++;
doc.splice(start + 2, end - start - 2, ...rows);
writeFileSync(path, doc.join('\n'));
