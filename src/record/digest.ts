// SHA-256 as lowercase hex: the one digest the record names files, scripts and rosters by. Several parts are
// hashed as their concatenation.
import { createHash } from 'node:crypto';

export function sha256Hex(...parts: Array<Uint8Array | string>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}
