import { describe, expect, it } from 'vitest';
import { generateUpdateId, uuidv7 } from './uuid.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('has the version 7 layout and carries the time', () => {
    const now = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('sorts in generation order, within a millisecond too, and never repeats', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(UUID_V7);
  });

  it('stays ordered when the clock goes back', () => {
    const a = uuidv7(Date.now() + 10_000);
    const b = uuidv7(Date.now());
    expect(b > a).toBe(true);
  });

  it('makes update ids as URNs', () => {
    expect(generateUpdateId()).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });
});
