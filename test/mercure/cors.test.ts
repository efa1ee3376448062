import { afterEach, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

describe('hub CORS (--cors-origins)', () => {
  it('answers preflights for subscribe and publish from allowed origins only', async () => {
    hub = await startHub(['--cors-origins', 'https://screens.example']);
    const preflight = (origin: string) =>
      fetch(hub!.hubUrl, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type',
        },
      });
    const allowed = await preflight('https://screens.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://screens.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(
      /last-event-id.*authorization.*content-type/,
    );
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(204);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds CORS headers to publish answers and refusals for an allowed origin', async () => {
    hub = await startHub(['--cors-origins', 'https://screens.example']);
    const token = await hub.publisherToken();
    const ok = await fetch(hub.hubUrl, {
      method: 'POST',
      headers: {
        Origin: 'https://screens.example',
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'topic=a&data=b',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://screens.example');
    const refused = await fetch(hub.hubUrl, {
      method: 'POST',
      headers: {
        Origin: 'https://screens.example',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'topic=a',
    });
    expect(refused.status).toBe(401);
    // The browser may read why it was refused.
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://screens.example');
  });

  it('sends no CORS headers when --cors-origins is not set', async () => {
    hub = await startHub();
    const answer = await fetch(hub.hubUrl, {
      method: 'OPTIONS',
      headers: { Origin: 'https://a.example' },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});
