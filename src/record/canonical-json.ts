// Canonical JSON, the one serialisation behind every hash and signature over structured data: journal entry
// hashes, statements people approve, documents officers sign. It follows RFC 8785 (JCS) for what we serialise:
// object members sorted by the UTF-16 code units of their names, no whitespace, strings and numbers as
// ECMAScript's JSON.stringify writes them (RFC 8785 adopts exactly that number form). Members whose value is
// undefined are dropped, as JSON.stringify drops them. NaN and Infinity have no JSON form and are refused
// rather than written as null: a hash over `null` would not be a hash over what the caller held.
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
