// Small facts the roster checks share: the PIV slots a roster lists, how a message names an officer (id and
// device, so a reader can find the token), SHA-256 of DER, and counting repeats.

export const SLOTS = ['9a', '9c', '9d', '9e'] as const;

export const who = (o: { id: string; device: { serial: string } }) => `${o.id} (device ${o.device.serial})`;

export { sha256Hex as sha256 } from '../record/digest.js';

export function counts(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}
