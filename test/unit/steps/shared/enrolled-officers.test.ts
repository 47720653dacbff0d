// Roster ids for new officers and the officers enrolled by completed steps of this ceremony.
import { describe, expect, it } from 'vitest';
import { enrolledOfficers, issuerCertificate, officerId, OFFICER_ENROLLED } from '../../../../src/steps/shared/enrolled-officers.js';
import { createStepContext } from '../fakes/step-context.js';
import { scriptWith, step } from '../fakes/scripts.js';
import { pivEnroll } from '../../../../src/steps/piv-enroll.js';

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
