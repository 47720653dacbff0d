// Digests for people: the leading bits of a SHA-256 as BIP-39 English words, which people read aloud and
// compare far more reliably than hex. 6 words carry 66 bits.
import { wordlist } from '@scure/bip39/wordlists/english.js';

/**
 * The first count*11 bits of a hex hash as BIP-39 English words, most significant bits first: short enough to
 * read aloud and write down, and anyone can recompute them from the journal. Not a BIP-39 mnemonic (no
 * checksum); only the word list is shared.
 */
export function headWords(hexHash: string, count = 6): string[] {
  if (hexHash.length === 0 || !/^[0-9a-fA-F]+$/.test(hexHash)) throw new RangeError(`journal head is not hex (${hexHash.length} characters)`);
  const bits = hexHash.length * 4;
  if (!Number.isInteger(count) || count < 1 || count * 11 > bits) throw new RangeError(`cannot take ${count} words (11 bits each) from a ${bits}-bit hash`);
  const value = BigInt(`0x${hexHash}`);
  return Array.from({ length: count }, (_, i) => wordlist[Number((value >> BigInt(bits - 11 * (i + 1))) & 0x7ffn)]);
}
