/** Helpers shared by auth messages: quoting untrusted values, and reading the errors jose throws. */

/** Longest echo of a token-supplied string (alg, kid) in a message: enough to recognise it, too short to flood a log. */
const MAX_ECHO_LENGTH = 40;

/** The code of an error jose threw, or undefined for any other error. */
export function joseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^ERR_(JOSE|JWT|JWS|JWK|JWKS|JWE)_/.test(code)
    ? code
    : undefined;
}

/** An error's message, to quote in one of ours. */
export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Quotes an untrusted value for a message: JSON escapes control characters; length is capped. */
export function echo(value: unknown): string {
  const text = JSON.stringify(String(value));
  return text.length > MAX_ECHO_LENGTH ? `${text.slice(0, MAX_ECHO_LENGTH)}…"` : text;
}
