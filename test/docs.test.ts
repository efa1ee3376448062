/**
 * The docs follow the code: every setting is in the configuration reference
 * and every error code in the hub or library docs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVE_SETTINGS } from '../src/cli/schema.js';
import { ERROR_CODES } from '../src/errors.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs', () => {
  it('list every setting of andon serve with its flag, environment names and file key', () => {
    const doc = read('docs/configuration.md');
    for (const setting of SERVE_SETTINGS) {
      const row = doc
        .split('\n')
        .find((line) => new RegExp(`^\\|\\s*\`--${setting.flag}\`\\s*\\|`).test(line));
      expect(row, `docs/configuration.md has no row for --${setting.flag}`).toBeDefined();
      for (const name of setting.env) expect(row).toContain(`\`${name}\``);
      expect(row).toContain(`\`${setting.key}\``);
    }
  });

  it('explain every error code', () => {
    const docs = read('docs/hub.md') + read('docs/library.md');
    for (const code of Object.keys(ERROR_CODES)) expect(docs, code).toContain(`\`${code}\``);
  });
});
