// The structure of a PDF signature before any cryptography: /ByteRange must leave out exactly the /Contents
// hex string and cover every other byte. Each case builds a small PDF-shaped buffer with one fault.
import { describe, expect, it } from 'vitest';
import { verifyPdfSignature } from '../../../../src/evidence/verify/check-pdf-signatures.js';

/** `%PDF ... /ByteRange [0 b c d] /Contents <hex> ... %%EOF` with the range computed, then `tweak`ed. */
function pdf(opts: { hex?: string; range?: (r: number[]) => number[]; before?: string; byteRange?: string } = {}): Buffer {
  const hex = opts.hex ?? 'ab'.repeat(8);
  const pad = (n: number) => String(n).padStart(10, '0');
  const head = (r: number[]) => `%PDF-1.7\n1 0 obj << /Type /Sig ${opts.byteRange ?? `/ByteRange [${r.map(pad).join(' ')}]`} ${opts.before ?? '/Contents'} `;
  const tail = ' >>\nendobj\n%%EOF\n';
  const b = head([0, 0, 0, 0]).length;
  const c = b + hex.length + 2;
  const total = c + tail.length;
  const range = (opts.range ?? ((r) => r))([0, b, c, total - c]);
  return Buffer.from(`${head(range)}<${hex}>${tail}`, 'latin1');
}

describe('verifyPdfSignature before the CMS', () => {
  it.each([
    { name: 'no signature at all', bytes: Buffer.from('%PDF-1.7\n%%EOF\n'), problem: 'x.pdf: not signed (no /ByteRange)' },
    { name: 'a /ByteRange that is not four numbers', bytes: pdf({ byteRange: '/ByteRange [0 1 2]' }), problem: 'x.pdf: /ByteRange is not four numbers' },
    {
      name: 'a range that leaves bytes out at the end',
      bytes: pdf({ range: ([a, b, c, d]) => [a, b, c, d - 1] }),
      problem: (p: Buffer) => {
        const b = p.lastIndexOf('<');
        const c = p.indexOf('>', b) + 1;
        return `x.pdf: signature byte range [0 ${b} ${c} ${p.length - c - 1}] does not cover the whole file (${p.length} bytes) but the signature`;
      },
    },
    { name: 'a range not starting at 0', bytes: pdf({ range: ([, b, c, d]) => [1, b, c, d] }), problem: /^x\.pdf: signature byte range \[1 .* does not cover the whole file/ },
    { name: 'a gap that is not the hex string', bytes: pdf({ range: ([a, b, c, d]) => [a, b + 1, c, d] }), problem: 'x.pdf: signature byte range does not exclude exactly the /Contents hex string' },
    { name: 'a gap that is not the /Contents value', bytes: pdf({ before: '/Reason' }), problem: 'x.pdf: the bytes left out of the signature are not the /Contents value' },
    { name: 'a value that is not hex', bytes: pdf({ hex: 'zz'.repeat(4) }), problem: 'x.pdf: signature /Contents is not a hex string' },
    { name: 'an odd number of hex digits', bytes: pdf({ hex: 'abc' }), problem: 'x.pdf: signature /Contents is not a hex string' },
    { name: 'no evidence certificate to check with', bytes: pdf(), problem: 'x.pdf: cannot check its signature without the evidence certificate outputs/evidence-key.cert.pem' },
  ])('reports $name', ({ bytes, problem }) => {
    const problems = verifyPdfSignature('x.pdf', bytes, undefined);
    expect(problems).toHaveLength(1);
    if (problem instanceof RegExp) expect(problems[0]).toMatch(problem);
    else expect(problems[0]).toBe(typeof problem === 'function' ? problem(bytes) : problem);
  });
});
