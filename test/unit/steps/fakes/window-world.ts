// A signing window for unit tests: an HSM session holding an RSA-4096 avb key and an EC P-256 payload key (real
// node:crypto keys), a signing plan naming them with budgets, the approval of that plan in the journal, and a
// window server that, once the step listens, plays a client: the requests a test gives, in order, then (unless
// told not to) the operator's close. Each answer is kept for the test.
import { createHash, createPublicKey } from 'node:crypto';
import type { SigningWindowServer } from '../../../../src/engine/ports.js';
import type { SigningWindowInputs } from '../../../../src/engine/ceremony-inputs.types.js';
import { parseSigningPlan, planSubject, SIGNING_PLAN_TYPE } from '../../../../src/custody/signing-plan.js';
import { DIGEST_INFO } from '../../../../src/custody/window-request.js';
import type { NewEntry, JsonObject } from '../../../../src/record/journal.js';
import { spkiSha256 } from '../../../../src/custody/deny-list.js';
import { FakeHsmSession } from './fake-hsm.js';
import { ADMIN, WITNESS, scriptWith, step } from './scripts.js';

export type Answer = { ok: boolean; signature?: string; error?: string; closed?: boolean; signatures?: number };

export class FakeWindowServer implements SigningWindowServer {
  readonly answers: Answer[] = [];
  removed: string[] = [];
  listening = false;
  constructor(private readonly requests: Array<JsonObject | Buffer | ((answers: Answer[]) => JsonObject)>, private readonly closeAtEnd = true) {}
  async removeStale(path: string): Promise<void> {
    this.removed.push(path);
  }
  async listen(_path: string, serve: (request: Buffer) => Buffer) {
    this.listening = true;
    setImmediate(() => {
      const send = (r: JsonObject | Buffer) => this.answers.push(JSON.parse(serve(Buffer.isBuffer(r) ? r : Buffer.from(JSON.stringify(r))).toString('utf8')) as Answer);
      for (const r of this.requests) send(typeof r === 'function' ? r(this.answers) : r);
      if (this.closeAtEnd) send({ op: 'close' });
    });
    return { close: async () => void (this.listening = false) };
  }
}

export function avbBlock(bits: number, hash: 'sha256' | 'sha512', data = 'vbmeta'): Buffer {
  const info = DIGEST_INFO[hash];
  const t = Buffer.concat([info.prefix, createHash(hash).update(data).digest()]);
  return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(bits / 8 - 3 - t.length, 0xff), Buffer.from([0]), t]);
}

export function createWindowWorld(budget: { avb: number; payload: number } = { avb: 2, payload: 2 }) {
  const session = new FakeHsmSession();
  const avb = session.generateKeyPair({ label: 'avb-2026', id: '01', algorithm: 'RSA-4096' });
  const payload = session.generateKeyPair({ label: 'payload-2026', id: '02', algorithm: 'EC-P256' });
  const spki = (r: { spki: Buffer }) => spkiSha256(createPublicKey({ key: r.spki, format: 'der', type: 'spki' }));
  const planBody = {
    type: SIGNING_PLAN_TYPE,
    inputs: { target_files: { name: 'oriole-target_files.zip', sha256: 'a'.repeat(64) }, otatools: { name: 'otatools.zip', sha256: 'b'.repeat(64) } },
    commands: ['avbtool make_vbmeta_image --key avb.pem --algorithm SHA256_RSA4096 --signing_helper officiant-avb-helper --output vbmeta.img'],
    keys: [
      { label: 'avb-2026', algorithm: 'RSA-4096', budget: { avb: budget.avb, payload: 0 } },
      { label: 'payload-2026', algorithm: 'EC-P256', budget: { avb: 0, payload: budget.payload } },
    ],
    time_limit_minutes: 30,
  };
  const bytes = Buffer.from(JSON.stringify(planBody));
  const parsed = parseSigningPlan(bytes);
  const subject = planSubject(parsed.plan!, parsed.sha256!);
  const script = scriptWith([step('window', 'android.sign-window', {})]);
  /** The approval statement of the window naming `plan` (this plan's subject unless given). */
  const approval = (plan: JsonObject = subject as unknown as JsonObject): NewEntry => ({
    type: 'step.event',
    step: 'approve',
    actor: 'system',
    data: { what: 'approval-statement', statement: { type: 'officiant-approval/1', approve: { what: 'step', step: { id: 'window', kind: 'android.sign-window', title: 'w', params: {} }, plan } } } as unknown as JsonObject,
  });
  const inputs = (server: FakeWindowServer): SigningWindowInputs => ({ plan: { bytes, sha256: parsed.sha256! }, socket: '/run/officiant/window.sock', server });
  const sign = (kind: 'avb' | 'payload', key: 'avb' | 'payload', data: Buffer, algorithm?: string): JsonObject => ({
    op: 'sign',
    kind,
    ...(algorithm ? { algorithm } : {}),
    key_spki_sha256: spki(key === 'avb' ? avb : payload),
    data: data.toString('base64'),
    caller: ['python3', 'avbtool.py', 'make_vbmeta_image'],
  });
  return { session, avb, payload, spki, subject, planBytes: bytes, script, approval, inputs, sign, people: [ADMIN, WITNESS], started: { signing_plan: subject as unknown as JsonObject } };
}
