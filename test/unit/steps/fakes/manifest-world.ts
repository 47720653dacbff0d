// A manifest signing session for step-kind unit tests: three officers on a roster (threshold 2, each with a 9c
// key on a fake PIV token), a release bundle in memory signed by a release authority (real crypto), a manifest
// draft of its artifacts, and a signing log on disk through the real file adapter.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsReleaseFiles } from '../../../../src/adapters/fs/release-files.js';
import { MANIFEST_TYPE, type ManifestBody } from '../../../../src/custody/ota-manifest.types.js';
import type { ManifestInputs } from '../../../../src/engine/ceremony-inputs.types.js';
import { buildBundle, createAuthority, MemoryBundleReader, sha256, type TestArtifact, type TestAuthority } from '../../../helpers/release-bundle.js';
import { createRosterBody, createRosterFile, createRosterWorld } from '../../../helpers/roster-fixture.js';
import { ADMIN, WITNESS, scriptWith, step } from './scripts.js';

export const MANIFEST_ARTIFACTS: TestArtifact[] = [
  { name: 'oriole-ota.zip', kind: 'ota-package', bytes: Buffer.from('PK oriole ota package') },
  { name: 'vbmeta.img', kind: 'vbmeta', bytes: Buffer.from('AVB0 vbmeta') },
];

export async function createManifestWorld() {
  const rw = await createRosterWorld({ officers: 3 });
  const body = createRosterBody(rw);
  const file = createRosterFile(body, rw.officers);
  const roster = { body, bytes: Buffer.from(JSON.stringify(file)), sha256: file.roster.payload_sha256 };
  const officers = rw.officers.map((o) => ({ name: o.officer.name, role: 'crypto-officer', officer: o.officer.id, device: o.officer.device.serial }));
  const authority = await createAuthority('ec');
  const bundle = buildBundle(authority, MANIFEST_ARTIFACTS);
  const releaseSha = sha256(bundle.get('release.json') as Buffer);
  const dir = mkdtempSync(join(tmpdir(), 'officiant-manifest-world-'));
  const script = scriptWith([step('sign', 'manifest.sign', {})], { officers: 3 });
  let n = 0;

  const draftBody = (over: Partial<ManifestBody> = {}): ManifestBody => ({
    type: MANIFEST_TYPE,
    spec_version: 1,
    version: 5,
    expires: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 19) + 'Z',
    channel: 'stable',
    devices: ['oriole'],
    targets: MANIFEST_ARTIFACTS.map((a) => ({ name: a.name, length: a.bytes.length, sha256: sha256(a.bytes), kind: a.kind, release_sha256: releaseSha })),
    ...over,
  });

  /** Inputs of one session: a draft (by default of the bundle's artifacts), the pinned certificate, a log of its own. */
  function inputs(o: { body?: ManifestBody; pinned?: TestAuthority; log?: string } = {}): ManifestInputs {
    n += 1;
    const bytes = Buffer.from(JSON.stringify({ signed: o.body ?? draftBody(), signatures: [] }));
    const cert = Buffer.from((o.pinned ?? authority).pem);
    const doc = (b: Buffer) => ({ bytes: b, sha256: createHash('sha256').update(b).digest('hex') });
    return { draft: doc(bytes), releaseCertificate: doc(cert), releases: ['/bundles/stable'], signingLog: o.log ?? join(dir, `log-${n}.jsonl`), files: fsReleaseFiles, openBundle: () => new MemoryBundleReader(bundle) };
  }

  return { rw, roster, officers, people: [ADMIN, WITNESS, ...officers], authority, script, draftBody, inputs, dir };
}
