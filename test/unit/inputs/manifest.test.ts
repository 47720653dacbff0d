// A manifest signing session's inputs before the ceremony starts: every problem at once (exit 2), each naming its
// flag or file, nothing loaded when there is one.
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/inputs/manifest.js';
import { MemoryInputFiles } from './memory-input-files.js';

const ctx = (certificatePem?: Buffer) => ({ certificatePem, certificateSource: '/b/authority.pem', signingLog: '/log.jsonl', releaseFiles: {} as never, openBundle: () => { throw new Error('not used'); } });

describe('loadManifest', () => {
  it('lists a missing --manifest, a missing --release and a missing certificate together', () => {
    const r = loadManifest(new MemoryInputFiles(), {}, ctx());
    expect(r.value).toBeUndefined();
    expect(r.problems.map((p) => p.field)).toEqual(['--manifest', '--release', '(file)']);
    expect(r.problems.every((p) => p.code === 'input.manifest-draft')).toBe(true);
  });

  it('refuses a pinned certificate that is not a PEM certificate, and a draft with problems, naming both', () => {
    const files = new MemoryInputFiles().file('/d.json', '{"signed":{},"signatures":[]}').file('/b/release.json', '{}');
    const r = loadManifest(files, { manifest: '/d.json', release: ['/b'] }, ctx(Buffer.from('not a certificate')));
    expect(r.value).toBeUndefined();
    expect(r.problems.some((p) => p.message === '/b/authority.pem: not a PEM certificate, so no release authority certificate to pin')).toBe(true);
    expect(r.problems.some((p) => p.field === '--manifest' && p.message.startsWith('draft: signed.'))).toBe(true);
  });
});
