// SHA-256 as lowercase hex: the one digest the record names files, scripts and rosters by.
import { createHash } from 'node:crypto';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
