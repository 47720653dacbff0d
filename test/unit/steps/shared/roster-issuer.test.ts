// Joining a live roster: the enrollment CA is the roster's, its key found on the HSM by label and accepted only
// when it is the key of the CA certificate the roster names.
import 'reflect-metadata';
import { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rosterIssuer } from '../../../../src/steps/shared/roster-issuer.js';
import { createRosterBody, createRosterWorld } from '../../../helpers/roster-fixture.js';
import { FakeHsmSession } from '../fakes/fake-hsm.js';
import { createStepContext } from '../fakes/step-context.js';
import { scriptWith, step } from '../fakes/scripts.js';
import { STEP_NEEDS } from '../../../../src/script/step-needs.js';

const world = await createRosterWorld();
const body = createRosterBody(world);
const roster = { body, bytes: Buffer.from(JSON.stringify(body)), sha256: 'cd'.repeat(32) };
const script = scriptWith([step('m', 'manual.confirm', { confirm_by: 'admin' })]);
const LABEL = 'officer-enrollment-ca';

function context(session: FakeHsmSession, withRoster = true) {
  return createStepContext({ script, stepId: 'm', session, roster: withRoster ? roster : undefined, needs: { ...STEP_NEEDS['piv.enroll'], roster: true } });
}

function sessionWithCa(): FakeHsmSession {
  const session = new FakeHsmSession();
  const spki = KeyObject.from(world.ca.keys.publicKey).export({ type: 'spki', format: 'der' });
  session.adopt({ label: LABEL, id: 'c1', algorithm: 'EC-P256', spki, attributes: session.generateKeyPair({ label: 'scratch', id: '00', algorithm: 'EC-P256' }).attributes }, KeyObject.from(world.ca.keys.privateKey));
  return session;
}

describe('rosterIssuer', () => {
  it("finds the roster's CA key on the HSM and gives the roster's certificate as the issuer", async () => {
    const fake = context(sessionWithCa());
    const { key, cert } = await rosterIssuer(fake.ctx, LABEL);
    expect(key).toMatchObject({ label: LABEL, id: 'c1' });
    expect(cert.sha256).toBe(world.ca.sha256);
    expect(cert.subject).toBe(world.ca.subject);
    expect(fake.events('enrollment-ca')).toEqual([expect.objectContaining({ label: LABEL, certificate_sha256: world.ca.sha256, roster_version: 1 })]);
  });

  it('refuses a key of that label that is not the roster\'s CA: officers it certified would be refused', async () => {
    const session = new FakeHsmSession();
    session.generateKeyPair({ label: LABEL, id: 'c2', algorithm: 'EC-P256' });
    await expect(rosterIssuer(context(session).ctx, LABEL)).rejects.toThrow(`key "${LABEL}" on token`);
    await expect(rosterIssuer(context(session).ctx, LABEL)).rejects.toThrow('is not the enrollment CA of roster version 1');
  });

  it.each([
    ['no such key on the HSM', () => context(new FakeHsmSession()), 'found 0'],
    ['no roster given', () => context(sessionWithCa(), false), 'needs the roster: give --roster <roster.json>'],
  ])('refuses with %s', async (_n, make, message) => {
    await expect(rosterIssuer(make().ctx, LABEL)).rejects.toThrow(message);
  });
});
