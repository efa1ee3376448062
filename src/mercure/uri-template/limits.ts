/** Bounds on URI Templates, and the error that names the one a template passes. */
import { AndonError } from '../../errors.js';

/** Longest template accepted: the de-facto URL length limit (browsers, proxies), and the bound on automaton size. */
export const MAX_TEMPLATE_LENGTH = 2_048;
/** Most `{...}` expressions in one template; real selectors hold a handful, and each one adds states to every match. */
export const MAX_TEMPLATE_EXPRESSIONS = 32;
/** Most variables in one template; each one adds states to every match, and a named expression's alternatives grow with their square. */
export const MAX_TEMPLATE_VARIABLES = 64;
/**
 * Most automaton states for a template that cannot run on a safe `RegExp`.
 * Matching costs topic length × states: with topics capped at 2,048
 * characters this keeps one match in the low milliseconds even for a hostile
 * template, so an update with many topics cannot stall the event loop.
 * Ordinary ambiguous templates (`{a}-{b}`, `{+a}/{+b}`) need a few dozen.
 */
export const MAX_AUTOMATON_STATES = 512;

/** `ANDON_INVALID_SELECTOR` for a template past `limit`; `what` says what it has too much of. */
export function limitError(what: string, limit: number, template: string): AndonError {
  return new AndonError(
    'ANDON_INVALID_SELECTOR',
    `Topic selector ${JSON.stringify(template.slice(0, 80))}${template.length > 80 ? '…' : ''} has ${what}: the limit is ${limit}. Use a shorter or simpler selector, or several selectors.`,
  );
}
