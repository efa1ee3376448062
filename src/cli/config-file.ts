/**
 * The config file of `andon serve`: JSON (`.json`) or YAML (anything else),
 * an object whose keys are the settings' keys (`port`, `jwtKey`,
 * `corsOrigins`, ...). Unknown keys are refused by name, so a typo never
 * silently falls back to a default.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AndonError } from '../errors.js';

/** A setting's value as a file gives it. */
export type FileValue = string | number | boolean | readonly string[];

/** Reads `path` into a plain object, or throws `ANDON_INVALID_SETTING` naming the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AndonError(
      'ANDON_INVALID_SETTING',
      `--config: cannot read ${path}: ${(error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new AndonError(
      'ANDON_INVALID_SETTING',
      `--config: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AndonError(
      'ANDON_INVALID_SETTING',
      `--config: ${path} must hold an object of settings.`,
    );
  }
  return value as Record<string, unknown>;
}
