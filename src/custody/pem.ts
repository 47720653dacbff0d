// PEM text to DER bytes: the base64 between the armour lines, whitespace ignored.
export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}
