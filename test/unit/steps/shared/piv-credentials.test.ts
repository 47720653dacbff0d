// The officer's new PIN rules (exact reasons, never the PIN) and the random PUK and management key formats.
import { describe, expect, it } from 'vitest';
import { pinProblem, randomDigits, randomHex } from '../../../../src/steps/shared/piv-credentials.js';

describe('pinProblem', () => {
  it.each([
    ['739184', undefined],
    ['73918', 'the PIN must be 6 to 8 characters'],
    ['739184521', 'the PIN must be 6 to 8 characters'],
    ['7391 84', 'the PIN may hold only printable ASCII characters without spaces'],
    ['123456', 'the PIN must not be a factory default'],
    ['12345678', 'the PIN must not be a factory default'],
    ['777777', 'the PIN must not be one character repeated'],
    ['234567', 'the PIN must not be a sequential run'],
    ['876543', 'the PIN must not be a sequential run'],
    ['abcdef', 'the PIN must not be a sequential run'],
  ])('%s', (pin, problem) => {
    expect(pinProblem(Buffer.from(pin, 'latin1'), 6)).toBe(problem);
  });

  it('honours a longer minimum', () => {
    expect(pinProblem(Buffer.from('739184'), 8)).toBe('the PIN must be 8 to 8 characters');
  });
});

describe('random PUK and management key', () => {
  it('a PUK is decimal digits, a management key lowercase hex of twice the bytes, each fresh', () => {
    const [a, b] = [randomDigits(8), randomDigits(8)];
    expect(a.use((x) => x.toString())).toMatch(/^[0-9]{8}$/);
    const [k1, k2] = [randomHex(24), randomHex(24)];
    expect(k1.use((x) => x.toString())).toMatch(/^[0-9a-f]{48}$/);
    expect(k1.use((x) => k2.use((y) => x.equals(y)))).toBe(false);
    expect(a.use((x) => b.use((y) => x.equals(y)))).toBe(false);
    a.wipe();
    expect(() => a.use((x) => x)).toThrow('secret already wiped');
  });
});
