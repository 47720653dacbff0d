// Roster ids for new officers and the officers enrolled by completed steps of this ceremony.
import { describe, expect, it } from 'vitest';
import { enrolledOfficers, issuerCertificate, officerId, OFFICER_ENROLLED } from '../../../../src/steps/shared/enrolled-officers.js';
import { createStepContext } from '../fakes/step-context.js';
import { scriptWith, step } from '../fakes/scripts.js';
import { pivEnroll } from '../../../../src/steps/piv-enroll.js';
import type { NewEntry } from '../../../../src/record/journal.js';

describe('officerId', () => {
  it.each([
    ['Ada Lovelace', [], 'ada-lovelace'],
    ['  Zoë  O\'Brien ', [], 'zoe-o-brien'],
    ['Ada Lovelace', ['ada-lovelace', 'ada-lovelace-2'], 'ada-lovelace-3'],
    ['李', [], 'officer'],
  ])('%s', (name, taken, id) => {
    expect(officerId(name, new Set(taken))).toBe(id);
  });
});

describe('enrolledOfficers and issuerCertificate', () => {
  const s = scriptWith([step('e1', 'piv.enroll', { officer: { role: 'crypto-officer', index: 1 }, issuer: 'ca' }), step('e2', 'piv.enroll', { officer: { role: 'crypto-officer', index: 2 }, issuer: 'ca' })], { officers: 2 });
  const enrolled = (step: string, id: string) => ({ type: 'step.event' as const, step, actor: 'system', data: { what: OFFICER_ENROLLED, officer: { id } } });

  it('counts the last record of each completed step, never a step still running', () => {
    const fake = createStepContext({
      script: s,
      stepId: 'e2',
      needs: pivEnroll.needs,
      earlier: [enrolled('e1', 'first-try'), enrolled('e1', 'ada'), { type: 'step.completed', step: 'e1', actor: 'system', data: {} }, enrolled('e2', 'bob')],
    });
    expect(enrolledOfficers(fake.ctx).map((o) => o.id)).toEqual(['ada']);
  });

  it('names the missing enrollment CA certificate', () => {
    const fake = createStepContext({ script: s, stepId: 'e1', needs: pivEnroll.needs });
    expect(() => issuerCertificate(fake.ctx, 'ca')).toThrow('the enrollment CA "ca" has no certificate in this ceremony: certify it with hsm.self-signed-certificate first');
  });
});

describe('replacedRoles', async () => {
  const { createRosterBody, createRosterWorld } = await import('../../../helpers/roster-fixture.js');
  const world = await createRosterWorld();
  const body = createRosterBody(world);
  const roster = { body, bytes: Buffer.from(JSON.stringify(body)), sha256: 'cd'.repeat(32) };
  const lost = body.officers[1];
  const s = scriptWith([step('revoke', 'officer.revoke', { record_by: 'admin' }), step('e1', 'piv.enroll', { officer: { role: 'crypto-officer', index: 1 }, issuer: 'ca', replaces: 'revoke' })], { officers: 2 });
  const revoked: NewEntry[] = [
    { type: 'step.event' as const, step: 'revoke', actor: 'system', data: { what: 'officer-revoked', officer: lost.id, name: lost.name, device: lost.device.serial, reason: 'lost on a train' } },
    { type: 'step.completed' as const, step: 'revoke', actor: 'system', data: {} },
  ];
  const context = (earlier: NewEntry[]) => createStepContext({ script: s, stepId: 'e1', needs: { ...pivEnroll.needs, roster: true }, roster, earlier });
  const { replacedRoles } = await import('../../../../src/steps/shared/enrolled-officers.js');

  it('gives the revoked officer their roles back, and says which device is replaced', () => {
    const fake = context(revoked);
    expect(replacedRoles(fake.ctx, 'revoke', ` ${lost.name.toUpperCase()} `)).toEqual(lost.roles);
    expect(fake.results.at(-1)?.value).toContain(`device ${lost.device.serial} of ${lost.name} (${lost.id}), revoked in this ceremony (lost on a train)`);
  });

  it.each([
    ['someone else', revoked, 'Mallory', `Mallory is not ${lost.name}, whose token step revoke revoked: a replacement token goes to the same person`],
    ['a revocation that never completed', revoked.slice(0, 1), lost.name, 'step revoke revoked no officer: there is no token to replace'],
  ])('refuses %s', (_n, earlier, name, message) => {
    expect(() => replacedRoles(context(earlier).ctx, 'revoke', name)).toThrow(message);
  });
});
