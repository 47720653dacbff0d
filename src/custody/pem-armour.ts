// PEM armour in an artifact's bytes (artifact-scan.ts): where armour lines begin, and what the blocks they open
// hold (a private key's label, or a body that decodes to a denied key). Each armour line is looked at once and its
// block read only up to 64 KiB, so an artifact full of armour lines costs time in proportion to its size. What a
// block is depends only on the PEM_REACH bytes from its armour line on. Pure.
import type { DeniedKey } from './deny-list.js';

const PRIVATE_PEM = /^((?:RSA |EC |DSA |ENCRYPTED |OPENSSH )?PRIVATE KEY)$/;
const PEM_LABEL = /^[A-Z0-9 ]{1,40}$/;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]+$/;
const MAX_PEM = 65_536;
const DASHES = Buffer.from('-----');
const BEGIN = Buffer.from('-----BEGIN ');
/** Searched for instead of the whole line: a search for six bytes or fewer is several times faster. */
const BEGIN_HEAD = BEGIN.subarray(0, 6);
/** The label ends within 60 bytes of `-----BEGIN `, the END line within 64 KiB of that, and its label 45 on. */
export const PEM_REACH = 60 + MAX_PEM + '-----END '.length + 40 + '-----'.length;
export const BEGIN_LENGTH = BEGIN.length;

/** Where `-----BEGIN ` starts in `bytes`, in order. */
export function findArmourBegins(bytes: Buffer): number[] {
  const begins: number[] = [];
  for (let at = bytes.indexOf(BEGIN_HEAD); at >= 0; at = bytes.indexOf(BEGIN_HEAD, at + BEGIN_HEAD.length)) {
    if (BEGIN.compare(bytes, at, Math.min(bytes.length, at + BEGIN.length)) === 0) begins.push(at);
  }
  return begins;
}

export interface ArmourHit {
  what: string;
  kind: 'denied-key' | 'private-key';
  /** Offset in `bytes` of the armour line. */
  at: number;
}

/**
 * What the blocks opened at `begins` (offsets of `-----BEGIN ` in `bytes`, in order) hold. A block that runs past
 * the end of `bytes` is read as far as it goes: what it holds is known once PEM_REACH bytes of it are there.
 */
export function readArmourBlocks(bytes: Buffer, begins: readonly number[], denied: readonly DeniedKey[]): ArmourHit[] {
  const hits: ArmourHit[] = [];
  const last = begins.at(-1);
  if (last === undefined) return hits;
  const ends: number[] = [];
  const stop = Math.min(bytes.length, last + PEM_REACH);
  for (let at = bytes.indexOf('-----END '); at >= 0 && at < stop; at = bytes.indexOf('-----END ', at + 1)) ends.push(at);
  let next = 0;
  for (const at of begins) {
    const close = bytes.indexOf(DASHES, at + BEGIN_LENGTH);
    if (close < 0 || close - at > 60) continue;
    const label = bytes.toString('latin1', at + BEGIN_LENGTH, close);
    if (!PEM_LABEL.test(label)) continue;
    const priv = PRIVATE_PEM.exec(label);
    if (priv) hits.push({ what: `${priv[1]} (PEM)`, kind: 'private-key', at });
    // The first END after this armour line closes the block (BEGIN lines come in order, so do their ENDs).
    while (next < ends.length && ends[next] <= close) next++;
    const end = ends[next];
    if (end === undefined || end - close > MAX_PEM || bytes.toString('latin1', end + 9, end + 9 + label.length + 5) !== `${label}-----`) continue;
    const body = bytes.toString('latin1', close + 5, end);
    if (!BASE64_BODY.test(body)) continue;
    const der = Buffer.from(body.replace(/\s/g, ''), 'base64');
    for (const k of denied) if (der.indexOf(k.needle) >= 0) hits.push({ what: k.name, kind: 'denied-key', at });
  }
  return hits;
}
