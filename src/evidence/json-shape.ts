// Reading data that verify and export are handed and must not trust: a JSON value's shape is asked, never
// assumed (a malformed journal or manifest reads as absent, and the check says so), and a digest is shortened
// the one way every message shows it.
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

/** A hex digest as messages show it: its first 16 digits and an ellipsis, or `(none)`. */
export function short(hex: string | undefined): string {
  return hex === undefined ? '(none)' : hex.length > 16 ? `${hex.slice(0, 16)}…` : hex;
}

/** Any journal value as a message shows it (at most 80 characters), whatever it is: never a throw. */
export function shown(x: unknown): string {
  return typeof x === 'string' ? x.slice(0, 80) : (JSON.stringify(x) ?? 'undefined').slice(0, 80);
}
