// A release signing session for step-kind unit tests: an RSA release key on a fake HSM with its certificate, a
// policy signed by the roster's officers, a request for two artifacts on disk (a temporary directory), and the
// real file adapter. `chain(k)` runs the session's steps before kind k on one journal, as a ceremony would.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsReleaseFiles } from '../../../../src/adapters/fs/release-files.js';
import { POLICY_TYPE, type PolicyBody } from '../../../../src/custody/release-policy.js';
import { requestStatement } from '../../../../src/custody/release-request.js';
import type { ReleaseInputs } from '../../../../src/engine/ceremony-inputs.types.js';
import type { StepHandler } from '../../../../src/engine/step-kind.types.js';
import { STEP_HANDLERS } from '../../../../src/steps/index.js';
import { createRosterBody, createRosterFile, createRosterWorld, signDocument } from '../../../helpers/roster-fixture.js';
import { FakeHsmSession, attributesFor } from './fake-hsm.js';
import { ADMIN, WITNESS, scriptWith, step } from './scripts.js';
import { createStepContext, type ContextOptions } from './step-context.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** `extra` adds that many small image artifacts to the request (after the two). */
export async function createReleaseWorld(opts: { extra?: number } = {}) {
  const rw = await createRosterWorld({ officers: 3 });
  const body = createRosterBody(rw);
  const file = createRosterFile(body, rw.officers);
  const roster = { body, bytes: Buffer.from(JSON.stringify(file)), sha256: file.roster.payload_sha256 };
  const officers = rw.officers.map((o) => ({ name: o.officer.name, role: 'crypto-officer', officer: o.officer.id, device: o.officer.device.serial }));

  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=Test Release Root', notBefore: new Date('2026-01-01'), notAfter: new Date('2036-01-01'), keys, signingAlgorithm: alg });
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const privateKey = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  const session = new FakeHsmSession();
  session.adopt({ label: 'release-root', id: 'ab'.repeat(8), algorithm: 'RSA-3072', spki, attributes: attributesFor(false) }, privateKey);

  const now = new Date();
  const policy: PolicyBody = {
    format: POLICY_TYPE,
    authority: 'release',
    version: 1,
    previous_sha256: null,
    issued_at: new Date(now.getTime() - 3600e3).toISOString(),
    expires_at: new Date(now.getTime() + 86400e3).toISOString(),
    keys: [{ label: 'release-root', spki_sha256: sha(spki), algorithm: 'RSA-PKCS1-SHA256', kinds: ['image', 'apk'] }],
    approvals: { role: 'crypto-officer', threshold: 2 },
    limits: { max_artifacts: 10 + (opts.extra ?? 0), max_bytes: 1 << 20, max_request_age_hours: 24 },
    version_rule: 'increasing-per-channel',
    require_builder_signature: false,
    builder_keys: [],
    deny_list: [],
  };
  const signedPolicy = Buffer.from(JSON.stringify(signDocument(POLICY_TYPE, policy, rw.officers.slice(0, body.signing_policy.threshold))));

  const dir = mkdtempSync(join(tmpdir(), 'officiant-release-world-'));
  const build = join(dir, 'build');
  mkdirSync(build);
  const files = { 'system.img': randomBytes(3000), 'app.apk': randomBytes(500) };
  for (const [n, b] of Object.entries(files)) writeFileSync(join(build, n), b);
  const extra = Array.from({ length: opts.extra ?? 0 }, (_, i) => ({ name: `extra-${i}.img`, bytes: Buffer.from(`extra ${i}\n`) }));
  for (const e of extra) writeFileSync(join(build, e.name), e.bytes);
  const request = requestStatement({
    authority: 'release',
    requestId: randomBytes(16).toString('hex'),
    buildId: 'b-1',
    sourceRevision: 'abc',
    channel: 'stable',
    version: 7,
    createdAt: now.toISOString(),
    notAfter: new Date(now.getTime() + 3600e3).toISOString(),
    artifacts: [
      { name: 'system.img', kind: 'image', size: 3000, sha256: sha(files['system.img']) },
      { name: 'app.apk', kind: 'apk', size: 500, sha256: sha(files['app.apk']) },
      ...extra.map((e) => ({ name: e.name, kind: 'image' as const, size: e.bytes.length, sha256: sha(e.bytes) })),
    ],
  });
  const doc = (b: Buffer) => ({ bytes: b, sha256: sha(b) });
  const requestBytes = Buffer.from(JSON.stringify(request));
  const certPem = Buffer.from(cert.toString('pem'));
  let n = 0;
  /** Fresh places for one session (staging, bundle and signing log of its own). */
  const release = (): ReleaseInputs => {
    n += 1;
    return { request: doc(requestBytes), policy: doc(signedPolicy), certificate: doc(certPem), artifactsDir: build, staging: join(dir, `staging-${n}`), bundle: join(dir, `bundle-${n}`), signingLog: join(dir, `log-${n}.jsonl`), files: fsReleaseFiles };
  };

  const script = withAuthority(scriptWith(
    [
      step('load', 'request.load', {}),
      step('stage', 'artifacts.stage', {}),
      step('check', 'policy.check', {}),
      step('approve', 'quorum.approve', { role: 'crypto-officer', threshold: 2, approve: 'sign' }),
      step('sign', 'hsm.sign-artifacts', { key: 'release-root' }),
      step('verify', 'signatures.verify', {}),
      step('gates', 'release.gates', {}),
      step('publish', 'release.publish', {}),
    ],
    { officers: 3 },
  ));
  const people = [ADMIN, WITNESS, ...officers];

  /** The options of step `id` after the steps before it ran (on one journal, one release). */
  async function chain(id: string, base: Partial<ContextOptions> = {}): Promise<Omit<ContextOptions, 'needs'>> {
    const inputs = release();
    const common = { script, people, roster, session, release: inputs, ...base };
    let journal: ContextOptions['journal'];
    for (const s of common.script.steps) {
      if (s.id === id) break;
      if (s.kind === 'participants.check-in') continue;
      const handler = STEP_HANDLERS[s.kind] as StepHandler;
      const prompter = s.kind === 'quorum.approve' ? base.prompter : undefined;
      const fake = createStepContext({ ...common, stepId: s.id, needs: handler.needs, journal, ...(prompter ? { prompter } : {}) });
      await handler.run(fake.ctx);
      journal = fake.journal;
    }
    return { ...common, stepId: id, journal };
  }

  return { rw, roster, officers, session, script, people, release, chain, dir, spki, withAuthority };
}

/** Overwrites a staged (read-only) artifact of a session's staging directory, as a tamperer with the disk would. */
export function overwriteStaged(staging: string, name: string, bytes: Buffer): void {
  const file = join(staging, 'artifacts', name);
  chmodSync(join(staging, 'artifacts'), 0o700);
  chmodSync(file, 0o600);
  writeFileSync(file, bytes);
}

/** The release authority signs releases; the test scripts serve the manifest authority by default. */
function withAuthority<T extends { authority: string }>(script: T): T {
  return { ...script, authority: 'release' };
}
