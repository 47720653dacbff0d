// renderPlan is what every participant holds on paper: the steps in order, numbered, each naming the people
// by role title, and the SHA-256 of the exact script the plan was printed from.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../../src/script/plan.js';
import { parseScript } from '../../../src/script/rules.js';
import type { Script } from '../../../src/script/schema.js';
import { ROOT } from '../../helpers/cli.js';

const FLAGSHIP = 'ceremonies/release-authority-init.yaml';
const text = readFileSync(join(ROOT, FLAGSHIP), 'utf8');
const sha256 = createHash('sha256').update(text).digest('hex');

function flagship(): Script {
  const check = parseScript(FLAGSHIP, text);
  if (!check.script) throw new Error(`flagship invalid: ${JSON.stringify(check.errors)}`);
  return check.script;
}

const CA = 'Ceremony Administrator';
const IW = 'Internal Witness';
const CO = 'Crypto Officer';
const AU = 'Auditor';

// Read off ceremonies/release-authority-init.yaml, with role ids replaced by their titles.
const STEPS = [
  { header: ' 1. Check the ceremony laptop  [room.preflight, id room]', perform: CA, witness: [IW], signOff: [] },
  { header: ' 2. Participants check in  [participants.check-in, id check-in]', perform: CA, witness: [IW, AU], signOff: [IW] },
  { header: ' 3. Activate the evidence token  [evidence.use-key, id evidence-key]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: ' 4. Room sealed, laptop offline  [manual.confirm, id room-and-hardware]', perform: CA, witness: [IW, AU], signOff: [] },
  { header: ' 5. HSM tamper bag inspected and opened  [manual.confirm, id hsm-tamper-bag]', perform: CA, witness: [IW, AU], signOff: [IW] },
  { header: ' 6. Initialise the HSM token under dual control  [hsm.init-token, id init-token]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: ' 7. Crypto officers approve the root key generation  [quorum.approve, id approve-root-key]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: ' 8. Generate the release root key  [hsm.generate-key, id generate-root-key]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: ' 9. Inspect the release root key  [hsm.inspect-key, id inspect-root-key]', perform: CA, witness: [IW, AU], signOff: [IW] },
  { header: '10. Issue the self-signed release root certificate  [hsm.self-signed-certificate, id root-certificate]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: '11. Crypto officers approve the backup of the root key  [quorum.approve, id approve-backup]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: '12. Back up the root key, 3 of 5 custodians  [backup.split, id backup-root-key]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: '13. Crypto officers approve the ceremony record  [quorum.approve, id approve-record]', perform: CO, witness: [IW, AU], signOff: [IW] },
  { header: '14. Closing sign-off  [manual.confirm, id close]', perform: CA, witness: [IW, AU], signOff: [IW, AU, CO] },
];

/** The plan's lines from each numbered step header up to the next one. */
function stepBlocks(plan: string): string[][] {
  const blocks: string[][] = [];
  for (const line of plan.split('\n')) {
    if (/^ ?\d+\. /.test(line)) blocks.push([line]);
    else if (blocks.length > 0 && line !== '') blocks[blocks.length - 1].push(line);
  }
  return blocks;
}

describe('renderPlan on the flagship ceremony', () => {
  const plan = renderPlan(flagship(), sha256);
  const blocks = stepBlocks(plan);

  it('lists all 14 steps numbered 1..14 in script order', () => {
    expect(blocks.map((b) => b[0])).toEqual(STEPS.map((s) => s.header));
  });

  it.each(STEPS.map((s, i) => ({ ...s, n: i + 1 })))('step $n names performer, witnesses and sign-off by role title', ({ n, perform, witness, signOff }) => {
    const who = blocks[n - 1].filter((l) => /^ {4}(Performed|Witnessed|Signed off) by: /.test(l));
    expect(who).toEqual([
      `    Performed by: ${perform}`,
      `    Witnessed by: ${witness.join(', ')}`,
      ...(signOff.length > 0 ? [`    Signed off by: ${signOff.join(', ')}`] : []),
    ]);
  });

  it('prints the SHA-256 it is given in the header', () => {
    expect(plan.split('\n').slice(0, 2)).toEqual([
      'Production Release-Signing Authority initialisation',
      `Script release-authority-init version 1 · release authority · SHA-256 ${sha256}`,
    ]);
    // The digest is the caller's (of the bytes it read), not recomputed from the parsed script.
    const other = 'ab'.repeat(32);
    const replanned = renderPlan(flagship(), other);
    expect(replanned).toContain(`SHA-256 ${other}`);
    expect(replanned).not.toContain(sha256);
  });
});

describe('renderPlan on a ceremony that activates an existing token', () => {
  // The flagship without its hsm.init-token step: the crypto officers now activate a token that already exists.
  const initStep = text.slice(text.indexOf('  - id: init-token\n'), text.indexOf('  - id: generate-root-key\n'));
  const existingToken = text
    .replace(initStep, '')
    .replace('  hsm: release-hsm\n', '  hsm: release-hsm\n  pin_holders:\n    role: crypto-officer\n    people: 2\n');

  it('is a valid script', () => {
    expect(initStep).toContain('kind: hsm.init-token');
    expect(parseScript('existing-token.yaml', existingToken).errors).toEqual([]);
  });

  it('says who splits the user PIN, right after the HSM profile', () => {
    const check = parseScript('existing-token.yaml', existingToken);
    const lines = renderPlan(check.script as Script, sha256).split('\n');
    const at = lines.indexOf('HSM profile: release-hsm (module and token label come from the site file)');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('Token activation: user PIN split between 2 × Crypto Officer');
  });

  it('the flagship, which initialises its token, has no activation line', () => {
    expect(renderPlan(flagship(), sha256)).not.toContain('Token activation');
  });
});
