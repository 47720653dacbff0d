// piv.enroll: enrolls one officer's PIV token, witnessed. In order:
// 1. identity: the performing role (Ceremony Administrator) records the document type and number (never an
//    image); every witness confirms they saw the document match the person;
// 2. device: the officer picks their new token (never one already on the roster or enrolled today); serial,
//    model and firmware are recorded; a simulated device is refused outside rehearsals;
// 3. the officer types a new PIN twice, privately (6-8 characters, not a default, not one repeated or
//    sequential run); the default PIN is replaced;
// 4. keys are generated on the device in each slot (9a always: identity and approvals; 9c: manifest signing);
// 5. each slot's attestation is read and verified to a trusted root (the vendor's; the sandbox's simulated CA
//    in rehearsals) and must attest exactly the slot's key and this device's serial;
// 6. the enrollment CA key in the HSM issues a certificate per slot, imported into the slot;
// 7. the officer signs a fresh test challenge with 9a, proving the new PIN works;
// 8. the PUK and the management key are replaced by random values that are never shown or stored: nobody can
//    reset the PIN or replace the keys later; a blocked or lost token is revoked and a new one enrolled.
// Every device operation is journaled (intent, result); a crash is reconciled by reading the device where the
// device can tell (a key or certificate in the slot) and refused with instructions where it cannot (a PIN
// change that may or may not have happened).
import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { isOfficiantError, OfficiantError } from '../errors.js';
import { PIV_DEFAULTS, type Person, type PivAdmin, type PivSlot, type PivToken } from '../engine/ports.js';
import { secretFromString } from '../custody/secret.js';
import { attestationProblems, sha256 as sha256Of, SIMULATED_MARK, toPem } from '../custody/piv-attestation.js';
import type { RosterOfficer } from '../custody/roster.types.js';
import { signatureValid } from '../custody/signed-document.js';
import { spkiPem, spkiSha256 } from './hsm-generate-key.js';
import { deviceChoices, signWithPin, withToken } from '../engine/piv-officer.js';
import type { GeneratedKey, StepHandler } from '../engine/step-kind.types.js';
import { certificateSerial, dnString, hsmCertificate, pemToDer, type CertificateRecord } from './shared/x509-in-hsm.js';
import { rosterIssuer } from './shared/roster-issuer.js';
import { enrolledOfficers, issuerCertificate, officerId, OFFICER_ENROLLED, replacedRoles } from './shared/enrolled-officers.js';
import { pinProblem, randomDigits, randomHex } from './shared/piv-credentials.js';
import { STEP_NEEDS } from '../script/step-needs.js';

const SLOT_PURPOSE: Record<'9a' | '9c' | '9d', { title: string; eku?: string }> = {
  '9a': { title: 'identity and approvals (9a)', eku: '1.3.6.1.5.5.7.3.2' },
  '9c': { title: 'manifest signing (9c)', eku: '1.3.6.1.5.5.7.3.3' },
  '9d': { title: 'key management (9d)' },
};

export const pivEnroll: StepHandler<'piv.enroll'> = {
  kind: 'piv.enroll',
  needs: STEP_NEEDS['piv.enroll'],
  async run(ctx) {
    const p = ctx.step.params;
    const roleTitle = (r: string) => ctx.script.roles[r]?.title ?? r;
    const person = ctx.people(p.officer.role)[p.officer.index - 1];
    if (!person) throw new OfficiantError('ceremony.step-failed', `no ${roleTitle(p.officer.role)} ${p.officer.index} is checked in`);
    const [admin] = ctx.people(ctx.step.perform);
    if (!admin) throw new OfficiantError('ceremony.step-failed', `nobody is checked in as ${roleTitle(ctx.step.perform)}`);
    // The enrollment CA: made earlier in this ceremony, or (joining a live roster) the roster's own, on the HSM.
    let issuerKey: GeneratedKey;
    let issuerCert: CertificateRecord;
    if (p.issuer_source === 'roster') {
      ({ key: issuerKey, cert: issuerCert } = await rosterIssuer(ctx, p.issuer));
    } else {
      const made = ctx.generatedKey(p.issuer);
      if (!made) throw new OfficiantError('ceremony.step-failed', `the enrollment CA key "${p.issuer}" was not generated in this ceremony`);
      issuerKey = made;
      issuerCert = issuerCertificate(ctx, p.issuer);
    }

    // A lost token replaced: the person must be the officer revoked in the named step, and keeps their roles.
    const rosterRoles = p.replaces === undefined ? (p.roster_roles ?? [p.officer.role]) : replacedRoles(ctx, p.replaces, person.name);

    // 1. identity
    const docPattern = p.documents.map((d) => d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    const documentType = (await ctx.prompter.record(admin, { stepId: ctx.step.id, id: 'document-type', label: `${person.name}'s identity document type (${p.documents.join(', ')})`, pattern: docPattern })).trim();
    if (!p.documents.includes(documentType)) throw new OfficiantError('ceremony.step-failed', `identity document type "${documentType}" is not one of: ${p.documents.join(', ')}`);
    const documentNumber = (await ctx.prompter.record(admin, { stepId: ctx.step.id, id: 'document-number', label: `${person.name}'s ${documentType} number`, pattern: '[A-Za-z0-9 -]{4,30}' })).trim();
    const witnesses = ctx.people().filter((w) => ctx.step.witness.includes(w.role));
    for (const w of witnesses) {
      const ok = await ctx.prompter.confirm(w, `${person.name}'s ${documentType} ${documentNumber} matches the person in front of you?`, { stepId: ctx.step.id });
      ctx.event('identity-witnessed', { officer: person.name, answer: ok }, w);
      if (!ok) throw new OfficiantError('ceremony.step-failed', `${w.name} did not confirm ${person.name}'s identity`);
    }
    ctx.event('identity-checked', { officer: person.name, document_type: documentType, document_number: documentNumber }, admin);

    // 2. device
    const previous = ctx.rosterIfAny()?.body;
    const earlier = enrolledOfficers(ctx);
    const known = new Map<string, string>([...(previous?.officers ?? []).map((o) => [o.device.serial, `${o.name} on the roster`] as const), ...earlier.map((o) => [o.device.serial, `${o.name}, enrolled earlier in this ceremony`] as const)]);
    const serial = await ctx.prompter.chooseDevice({ stepId: ctx.step.id, id: 'device', message: `${person.name}: insert your new token` }, deviceChoices(ctx, previous).filter((d) => !known.has(d.serial)));
    const holder = known.get(serial);
    if (holder) throw new OfficiantError('ceremony.step-failed', `device ${serial} already belongs to ${holder}`);
    const device = ctx.piv().devices().find((d) => d.serial === serial);
    if (!device) throw new OfficiantError('env.piv-absent', `device ${serial} is not inserted`);
    if (device.simulated && !ctx.rehearsal) throw new OfficiantError('ceremony.step-failed', `device ${serial} is a simulated device: production enrollment needs a real token`);
    ctx.event('piv-device', { officer: person.name, serial, model: device.model, firmware: device.firmware, simulated: device.simulated });
    ctx.result('Officer', `${person.name} (roster roles: ${rosterRoles.join(', ')})`);
    ctx.result('Identity document', `${documentType} ${documentNumber}, checked by ${admin.name}, witnessed by ${witnesses.map((w) => w.name).join(', ')}`);
    ctx.result('Device', `${device.model} serial ${serial}, firmware ${device.firmware}${device.simulated ? ' (SIMULATED: rehearsal only)' : ''}`);

    // Device operations are named per device, so a retry with another token starts that token from scratch.
    const op = (name: string) => `${name}:${serial}`;
    const touched = ctx.entries().some((e) => e.type === 'intent' && e.step === ctx.step.id && String(e.data.op).endsWith(`:${serial}`));
    const pinChanged = ctx.entries().some((e) => e.type === 'result' && e.step === ctx.step.id && e.data.op === op('piv.change-pin') && e.data.ok === true);
    const defaults = { pin: secretFromString(PIV_DEFAULTS.pin), puk: secretFromString(PIV_DEFAULTS.puk), mgmt: secretFromString(PIV_DEFAULTS.managementKey) };
    // 3. new PIN: typed twice; once the journal says the device took it, the officer types it once to go on.
    const newPin = pinChanged
      ? await ctx.prompter.secret(person, { stepId: ctx.step.id, id: 'piv-pin', label: 'PIV PIN (the one you set on this token)', minLength: p.pin_min_length, repeat: false })
      : await ctx.prompter.secret(person, { stepId: ctx.step.id, id: 'piv-new-pin', label: `new PIV PIN (${p.pin_min_length} to 8 characters)`, minLength: p.pin_min_length, repeat: true });
    try {
      const problem = newPin.use((b) => pinProblem(b, p.pin_min_length));
      if (problem) throw new OfficiantError('ceremony.step-failed', `${person.name}'s new PIN refused: ${problem}`);
      // Only a factory-fresh token is enrolled: its management key must be the default (a check that spends no
      // try). Skipped when this step already worked on the device before an interruption.
      if (!touched && !withToken(ctx, serial, (t) => t.verifyManagementKey(defaults.mgmt))) {
        throw new OfficiantError('ceremony.step-failed', `device ${serial} does not have the factory management key: it is not a new token; reset its PIV application (ykman piv reset) in front of the witness, then retry`);
      }
      // After an interruption the device is asked which PIN it holds: the factory one (not changed) or the new
      // one (changed); each wrong guess spends a try, and a device that takes neither is refused.
      await ctx.effect(
        op('piv.change-pin'),
        { device: serial },
        {
          run: () => (withToken(ctx, serial, (t) => t.changePin(defaults.pin, newPin)), { changed: true }),
          reconcile: () =>
            withToken(ctx, serial, (t) => {
              if (t.verifyPin(defaults.pin)) return undefined;
              if (t.verifyPin(newPin)) return { changed: true };
              throw new OfficiantError('ceremony.reconcile', `device ${serial} accepts neither the factory PIN nor ${person.name}'s new one: reset its PIV application (ykman piv reset) and enroll it again`);
            }),
        },
        person,
      );
      const admin1: PivAdmin = { managementKey: defaults.mgmt, pin: newPin };

      // 4-5. keys on the device, attestation
      const keys: RosterOfficer['keys'] = {};
      const spkis = new Map<PivSlot, Buffer>();
      for (const slot of p.slots) {
        const readBack = (t: PivToken) => t.publicKey(slot);
        const gen = await ctx.effect(
          op(`piv.generate-key:${slot}`),
          { device: serial, slot },
          {
            run: () => {
              const spki = withToken(ctx, serial, (t) => t.generateKey(slot, admin1));
              return { spkiPem: spkiPem(spki), spkiSha256: spkiSha256(spki) };
            },
            reconcile: () => {
              const spki = withToken(ctx, serial, readBack);
              return spki ? { spkiPem: spkiPem(spki), spkiSha256: spkiSha256(spki) } : undefined;
            },
          },
          person,
        );
        const spki = pemToDer(gen.spkiPem);
        spkis.set(slot, spki);
        const att = withToken(ctx, serial, (t) => t.attestation(slot));
        const problems = attestationProblems({ slot, attestation: att.certificate, device: att.deviceCertificate, roots: ctx.attestationRoots(), serial, spki });
        if (!ctx.rehearsal && ctx.attestationRoots().some((pem) => SIMULATED_MARK.test(new X509Certificate(pem).subject))) {
          problems.push('a simulated attestation root is configured: production enrollment trusts only vendor roots');
        }
        ctx.event('piv-attestation', { slot, device: serial, attestation: toPem(att.certificate), device_certificate: toPem(att.deviceCertificate), attestation_sha256: sha256Of(att.certificate), problems });
        if (problems.length > 0) throw new OfficiantError('ceremony.step-failed', `attestation refused: ${problems.join('; ')}`);
        keys[slot] = { certificate: '', certificate_sha256: '', spki_sha256: gen.spkiSha256, attestation: toPem(att.certificate), attestation_sha256: sha256Of(att.certificate) };
        ctx.result(`Slot ${slot} key`, `EC P-256 generated on the device, public key SHA-256 ${gen.spkiSha256}`);
        ctx.result(`Slot ${slot} attestation`, `verified to ${device.simulated ? 'the SIMULATED attestation CA' : 'a trusted vendor root'}, SHA-256 ${sha256Of(att.certificate)}`);
      }
      const deviceCertificate = (ctx.entries().filter((e) => e.type === 'step.event' && e.data.what === 'piv-attestation' && e.data.device === serial).pop()?.data.device_certificate as string) ?? '';

      // 6. certificates from the enrollment CA, imported into the slots
      const taken = new Set([...(previous?.officers ?? []).map((o) => o.id), ...earlier.map((o) => o.id)]);
      const id = officerId(person.name, taken);
      const session = await ctx.session();
      for (const slot of p.slots) {
        const certSerial = certificateSerial(session);
        const subject = dnString({ CN: person.name, OU: `Officiant officer ${id}, ${SLOT_PURPOSE[slot].title}`, O: `device ${serial}` });
        const cert = await ctx.effect(
          op(`piv.issue-certificate:${slot}`),
          { device: serial, slot, subject, serial: certSerial.toString('hex') },
          {
            run: () =>
              hsmCertificate(session, issuerKey, {
                subject,
                issuer: issuerCert.subject,
                subjectSpki: spkis.get(slot)!,
                serial: certSerial,
                validityDays: p.validity_days,
                ca: false,
                extendedKeyUsage: SLOT_PURPOSE[slot].eku ? [SLOT_PURPOSE[slot].eku] : undefined,
                keyAgreement: slot === '9d',
              }),
          },
          admin,
        );
        const certDer = pemToDer(cert.pem);
        await ctx.effect(
          op(`piv.import-certificate:${slot}`),
          { device: serial, slot, sha256: cert.sha256 },
          {
            run: () => (withToken(ctx, serial, (t) => t.importCertificate(slot, certDer, admin1)), { imported: cert.sha256 }),
            reconcile: () => {
              const onDevice = withToken(ctx, serial, (t) => t.certificate(slot));
              return onDevice && createHash('sha256').update(onDevice).digest('hex') === cert.sha256 ? { imported: cert.sha256 } : undefined;
            },
          },
          person,
        );
        keys[slot] = { ...keys[slot]!, certificate: cert.pem, certificate_sha256: cert.sha256 };
        ctx.result(`Slot ${slot} certificate`, `issued by ${issuerCert.subject}, SHA-256 ${cert.sha256}`);
        await ctx.writeOutput(`outputs/officer-${id}-${slot}.cert.pem`, cert.pem);
      }

      // 7. test signature with the new PIN
      const challenge = randomBytes(32);
      const signer: Person = { ...person, device: serial };
      const [signature] = await signWithPin(ctx, signer, serial, [challenge]);
      const verified = signatureValid(keys['9a']!.certificate, challenge, signature);
      ctx.event('piv-test-signature', { device: serial, challenge: challenge.toString('hex'), signature, verified }, person);
      if (!verified) throw new OfficiantError('ceremony.step-failed', `the test signature from device ${serial} does not verify with its new 9a certificate`);
      ctx.result('Test signature', `challenge signed with slot 9a after PIN entry, verified`);
      if (spkis.has('9d')) {
        // The 9d key opens backup shares sealed to the officer: prove it agrees on a key with a fresh ephemeral
        // key exactly as Officiant computes it, before any share depends on it.
        const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const onDevice = withToken(ctx, serial, (t) => t.deriveSharedSecret('9d', newPin, ephemeral.publicKey.export({ type: 'spki', format: 'der' })));
        const expected = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: createPublicKey({ key: spkis.get('9d')!, format: 'der', type: 'spki' }) });
        const agreed = onDevice.length === expected.length && timingSafeEqual(onDevice, expected);
        onDevice.fill(0);
        expected.fill(0);
        ctx.event('piv-test-key-agreement', { device: serial, agreed }, person);
        if (!agreed) throw new OfficiantError('ceremony.step-failed', `slot 9d of device ${serial} does not agree on a key with Officiant: it could not open a backup share`);
        ctx.result('Test key agreement', 'slot 9d agreed on a key with a fresh ephemeral key (ECDH), as backup shares need');
      }

      // 8. PUK and management key: random, never shown, never stored
      const puk = randomDigits(8);
      const mgmt = randomHex(24);
      // A PUK cannot be checked without using it: after an interruption the change is made again, and a device
      // that refuses the default PUK had already taken the new one (lost with the crash, as intended).
      const interrupted = (name: string) => ctx.entries().some((e) => e.type === 'intent' && e.step === ctx.step.id && e.data.op === name);
      try {
        const pukOp = op('piv.change-puk');
        const again = interrupted(pukOp);
        await ctx.effect(
          pukOp,
          { device: serial },
          {
            run: () => {
              try {
                withToken(ctx, serial, (t) => t.changePuk(defaults.puk, puk));
                return { changed: true, note: '' };
              } catch (err) {
                if (again && isOfficiantError(err, 'hsm.pin-incorrect')) return { changed: true, note: 'the default PUK was already replaced before the interruption' };
                throw err;
              }
            },
            reconcile: () => undefined,
          },
          admin,
        );
        await ctx.effect(
          op('piv.change-management-key'),
          { device: serial },
          {
            run: () => (withToken(ctx, serial, (t) => t.changeManagementKey(defaults.mgmt, mgmt)), { changed: true }),
            reconcile: () => (withToken(ctx, serial, (t) => t.verifyManagementKey(defaults.mgmt)) ? undefined : { changed: true }),
          },
          admin,
        );
      } finally {
        puk.wipe();
        mgmt.wipe();
      }
      ctx.result('PIN', 'replaced by the officer (typed twice, privately)');
      ctx.result('PUK and management key', 'replaced by random values that were never shown or stored');

      const officer: RosterOfficer = {
        id,
        name: person.name,
        roles: rosterRoles,
        status: 'active',
        revoked: null,
        enrolled: { at: new Date().toISOString(), ceremony_id: ctx.ceremonyRef().ceremony_id },
        device: { serial, model: device.model, firmware: device.firmware, simulated: device.simulated, attestation_certificate: deviceCertificate },
        keys,
      };
      ctx.event(OFFICER_ENROLLED, { officer: officer as never }, person);
      ctx.result('Roster id', id);
    } finally {
      newPin.wipe();
      defaults.pin.wipe();
      defaults.puk.wipe();
      defaults.mgmt.wipe();
    }
  },
};
