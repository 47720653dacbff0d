// A PIN or PIN half in memory. The bytes live in one Buffer that wipe() zeroes; the object prints as
// "[secret]" in JSON, util.inspect and string templates, so a secret cannot slip into the journal, evidence
// or an error message by accident. JavaScript strings cannot be wiped: convert to a Secret at once and keep
// the string's lifetime as short as possible.
import { inspect } from 'node:util';

export interface Secret {
  readonly length: number;
  use<T>(fn: (bytes: Buffer) => T): T;
  wipe(): void;
}

class BufferSecret implements Secret {
  private bytes: Buffer;
  private wiped = false;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  get length(): number {
    return this.bytes.length;
  }

  use<T>(fn: (bytes: Buffer) => T): T {
    if (this.wiped) throw new Error('secret already wiped');
    return fn(this.bytes);
  }

  wipe(): void {
    this.bytes.fill(0);
    this.wiped = true;
  }

  toJSON(): string {
    return '[secret]';
  }

  toString(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

export function secretFromString(value: string): Secret {
  return new BufferSecret(Buffer.from(value, 'utf8'));
}

export function secretFromBytes(bytes: Buffer): Secret {
  return new BufferSecret(bytes);
}

/** The concatenation of PIN halves, in holder order. The halves stay valid; wipe them separately. */
export function joinSecrets(parts: readonly Secret[]): Secret {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = Buffer.alloc(total);
  let offset = 0;
  for (const p of parts) offset += p.use((b) => b.copy(out, offset));
  return new BufferSecret(out);
}

export function sameSecret(a: Secret, b: Secret): boolean {
  return a.use((x) => b.use((y) => x.length === y.length && x.equals(y)));
}
