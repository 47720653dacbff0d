// Fuzzing the answers and site files people hand a run, and the reference time typed at room.preflight (scripts:
// fuzz-inputs.test.ts, a file of its own so the two run side by side), each with FUZZ_RUNS seeded mutations
// (test/helpers/fuzz.ts). Whatever the input, a loader returns its problems or throws a bad-input error: never a
// TypeError, a RangeError or a stack overflow, and never a problem that is not a plain sentence naming its file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAnswers } from '../../../src/inputs/answers.js';
import { loadScript } from '../../../src/inputs/script.js';
import { loadSite } from '../../../src/inputs/site.js';
import { parseReferenceTime } from '../../../src/custody/room-findings.js';
import { fuzz, mutateText, plainProblems } from '../../helpers/fuzz.js';
import { MemoryInputFiles } from './memory-input-files.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const flagshipText = readFileSync(join(ROOT, 'ceremonies/release-authority-init.yaml'), 'utf8');
const flagship = loadScript(new MemoryInputFiles().file('/s.yaml', flagshipText), '/s.yaml').value!.script;
const text = (s: string, r: () => number) => mutateText(s, r);

// A hang guard only: the size of a run is FUZZ_RUNS, and a loaded machine must not turn it red.
describe('fuzzing answers, site files and typed times (seeded; FUZZ_RUNS each)', { timeout: 600_000 }, () => {
  it('answers files', () => {
    const seed = 'people:\n  crypto-officer: [Carol Officer, Dave Officer]\nrecords:\n  close: { hsm-new-bag-serial: TB-00420018 }\nsecrets:\n  Carol Officer: { so-pin-half: "${HALF}", user-pin-half: abcdef }\nconfirm: { close: true }\nfailures: { step: abort }\n';
    const failures = fuzz([seed], text, (t) => parseAnswers('answers.yaml', t, { HALF: 'h4lf-value' }));
    expect(failures).toEqual([]);
  });

  it('site files, with their piv and room sections', () => {
    const seed = `hsm:\n  release-hsm: { module: /usr/lib/softhsm/libsofthsm2.so, token_label: release-2026, slot: 1 }\npiv:\n  module: /usr/lib/libykcs11.so\n  attestation_roots: [roots/yubico.pem]\n  roster_sha256: ${'ab'.repeat(32)}\nroom:\n  boot_medium: { path: boot.img, sha256: ${'cd'.repeat(32)} }\n  usb_allowlist: ["1050:0407"]\n  officiant_sha256: ${'ef'.repeat(32)}\n`;
    const files = () => new MemoryInputFiles().file('/etc/roots/yubico.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const failures = fuzz([seed], text, (t) => loadSite(files().file('/etc/site.yaml', t), flagship, { site: '/etc/site.yaml' }), plainProblems('/etc/'));
    expect(failures).toEqual([]);
  });

  it('reference times typed at room.preflight', () => {
    const laptop = new Date('2026-12-05T23:59:50Z');
    const failures = fuzz(['23:59:20', '2026-12-05T23:58:00Z', '00:00'], text, (t) => parseReferenceTime(t, laptop), (out) => (out === undefined || (out instanceof Date && !Number.isNaN(out.getTime())) ? undefined : `not a time or undefined: ${String(out)}`));
    expect(failures).toEqual([]);
  });
});
