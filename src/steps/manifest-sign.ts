// manifest.sign: the OTA Manifest Signing Authority signs one manifest. The draft (--manifest) is read as the
// release pipeline wrote it; the gates run before anyone is asked (custody/manifest-gates.ts): each release
// bundle (--release) verified against the pinned release authority certificate, every target one of their
// artifacts, the version above the last in the manifest signing log for the channel, the expiry within
// max_validity_days; no signer's 9c key may be the release authority's or a test key. Then the roster's
// threshold of distinct active officers of the role, checked in by token, each see the channel, version,
// expiry, target count and six words, confirm, and sign the exact bytes with their 9c key; each signature is
// verified against the roster at once and journaled. The version is taken in the signing log once the gates
// pass, before the first signature; a crash keeps the signatures journaled and asks only those who have not
// signed. The manifest is written to outputs/ota-manifest.json last.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { OfficiantError } from '../errors.js';
import type { Person } from '../engine/ports.js';
import { manifestGateProblems, manifestSignerProblem, verifiedStatement, type GateRelease } from '../custody/manifest-gates.js';
import { parseManifestDraft } from '../custody/ota-manifest.js';
import { capped } from '../custody/release-request.js';
import type { OtaManifest, ManifestSignature } from '../custody/ota-manifest.types.js';
import { statementWords } from '../custody/quorum.js';
import type { RosterOfficer } from '../custody/roster.types.js';
import { verifyReleaseBundle } from '../custody/verify-release-bundle.js';
import { spkiSha256 } from '../custody/deny-list.js';
import { MANIFEST_OUTPUT } from '../evidence/packet-files.js';
import { deviceChoices, withPivPin } from '../engine/piv-officer.js';
import type { ManifestInputs } from '../engine/ceremony-inputs.types.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { artifactsDigest, lastVersion, parseSigningLog, signingLogLine } from '../record/signing-log.js';
import { STEP_NEEDS } from '../script/step-needs.js';

export const MANIFEST_GATES = 'manifest-gates';
export const MANIFEST_SIGNATURE = 'manifest-signature';

function readLog(m: ManifestInputs) {
  const log = parseSigningLog(m.files.readLog(m.signingLog));
  if (log.problem) throw new OfficiantError('env.fs', `the manifest signing log ${m.signingLog} is damaged: ${log.problem}; nothing is signed until it is repaired`);
  return log.entries;
}

/** The manifest signing log as the session found it, in words people compare with the paper log. */
function logFound(f: { lines: number; head: string | null }): string {
  return f.head ? `manifest signing log: ${f.lines} earlier line(s), head ${f.head}` : 'manifest signing log: empty (no manifest signed from it before; if the paper log lists one, stop: the log was replaced)';
}

/** Each bundle verified against the pinned certificate, with its statement when it verified. */
function verifiedReleases(m: ManifestInputs): GateRelease[] {
  const trust = { certificatePem: m.releaseCertificate.bytes.toString('utf8') };
  return m.releases.map((dir) => {
    try {
      const reader = m.openBundle(dir);
      const report = verifyReleaseBundle(reader, trust);
      return { name: dir, report, statement: verifiedStatement(reader, report) };
    } catch (err) {
      // A bundle that cannot be read now (moved, unreadable) is one that did not verify, named as such.
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return { name: dir, report: { ok: false, checks: [{ name: 'files', ok: false, problems: [`cannot be read: ${why}`] }], problems: 1 } };
    }
  });
}

export const manifestSign: StepHandler<'manifest.sign'> = {
  kind: 'manifest.sign',
  needs: STEP_NEEDS['manifest.sign'],
  async run(ctx) {
    const m = ctx.manifest();
    const { role, max_validity_days } = ctx.step.params;
    const read = parseManifestDraft(m.draft.bytes);
    if (!read.body || !read.signedBytes) throw new OfficiantError('input.manifest-draft', `the manifest draft is refused: ${read.problems.length} problem(s)`, { details: read.problems });
    const body = read.body;
    const bytes = read.signedBytes;
    const digest = createHash('sha256').update(bytes).digest('hex');
    const words = statementWords(digest);
    const roster = ctx.roster();
    if (roster.authority !== 'manifest') throw new OfficiantError('ceremony.step-failed', `the roster is the ${roster.authority} authority's: only the manifest authority's officers sign manifests`);
    const rule = roster.signing_policy;
    const mine = ctx.entries().filter((e) => e.step === ctx.step.id);
    const attempt = mine.slice(mine.map((e) => e.type).lastIndexOf('deviation') + 1);

    // Signers: active officers of the role with a 9c key, checked in by token; the roster's threshold of them.
    const signers: Array<{ person: Person; officer: RosterOfficer }> = [];
    for (const p of ctx.people(role)) {
      const o = roster.officers.find((x) => x.id === p.officer && x.status === 'active' && x.keys['9c']);
      if (o) signers.push({ person: p, officer: o });
    }
    if (signers.length < rule.threshold) throw new OfficiantError('ceremony.quorum-not-met', `quorum not met: ${signers.length}/${rule.threshold} active ${role} officers with a manifest signing key (9c) checked in`);

    // The gates, before anyone is asked; run again on a resume (the bundles and the log are read again).
    const releaseSpki = spkiSha256(createPublicKey(m.releaseCertificate.bytes));
    // This ceremony's own line is not a rival: a crash after the log was appended, before the journal said so,
    // finds it there, and the append below reconciles to it.
    const ref = ctx.ceremonyRef();
    const others = readLog(m).filter((e) => e.ceremony_id !== ref.ceremony_id);
    // The log as found, for the paper log: an empty or shortened log sets no rollback floor, so people compare.
    const found = { lines: others.length, head: others.at(-1)?.hash ?? null };
    const problems = manifestGateProblems({ body, releases: verifiedReleases(m), log: others, maxValidityDays: max_validity_days, now: ctx.now() });
    for (const s of signers) {
      const why = manifestSignerProblem(s.officer.keys['9c']!.spki_sha256, [releaseSpki]);
      if (why) problems.push(`${s.officer.name}: ${why}`);
    }
    if (problems.length > 0) {
      // Each failed gate on the page and in the journal, and named on the screen by the failure itself; past 50,
      // how many more (a manifest may list 100,000 targets).
      const shown = capped(problems);
      shown.forEach((p, i) => ctx.result(`FAIL: gate ${i + 1} of ${problems.length}`, p));
      ctx.event(MANIFEST_GATES, { passed: false, signed_sha256: digest, problems: shown, count: problems.length });
      throw new OfficiantError('ceremony.step-failed', `the manifest does not pass the gates (${problems.length} problem(s)): ${shown.join('; ')}`, { details: shown });
    }
    if (!attempt.some((e) => e.type === 'step.event' && e.data.what === MANIFEST_GATES && e.data.passed === true)) {
      ctx.event(MANIFEST_GATES, { passed: true, channel: body.channel, version: body.version, expires: body.expires, targets: body.targets.length, signed_sha256: digest, words, releases: m.releases.length, signing_log: found });
    }
    ctx.prompter.say(`  OTA manifest for channel ${body.channel}, version ${body.version}, devices ${body.devices.join(', ')}`);
    ctx.prompter.say(`    expires ${body.expires}; ${body.targets.length} target(s), each an artifact of a verified release`);
    ctx.prompter.say(`  Signed bytes SHA-256: ${digest}`);
    ctx.prompter.say(`  ${logFound(found)}: compare with the paper log before the version is taken and anyone signs`);
    // The version is taken in the signing log before anyone signs: a session that later aborts leaves it taken
    // (the next draft takes the next version), and no threshold-signed manifest ever exists that the log lacks.
    const line = await ctx.effect('signing-log.append', { log: m.signingLog, channel: body.channel, version: body.version }, {
      run: () => {
        const log = readLog(m);
        const last = lastVersion(log, 'manifest', body.channel);
        if (last !== undefined && body.version <= last) throw new OfficiantError('ceremony.step-failed', `version ${body.version} of channel ${body.channel} is not above ${last}, signed meanwhile: the manifest is not logged`);
        const text = signingLogLine(log, {
          at: ctx.now().toISOString(),
          authority: 'manifest',
          request_id: digest.slice(0, 32),
          channel: body.channel,
          version: body.version,
          ceremony_id: ref.ceremony_id,
          artifacts: body.targets.length,
          artifacts_sha256: artifactsDigest(body.targets),
          signatures: Object.fromEntries(signers.slice(0, rule.threshold).map((x) => [x.officer.keys['9c']!.spki_sha256.slice(0, 16), 1])),
        });
        m.files.appendLog(m.signingLog, text);
        const entry = JSON.parse(text) as { seq: number; hash: string };
        return { seq: entry.seq, hash: entry.hash };
      },
      reconcile: () => {
        const mineLine = readLog(m).find((e) => e.authority === 'manifest' && e.ceremony_id === ref.ceremony_id && e.request_id === digest.slice(0, 32) && e.channel === body.channel && e.version === body.version);
        return mineLine ? { seq: mineLine.seq, hash: mineLine.hash } : undefined;
      },
    });
    ctx.prompter.say(`  Everyone reads these words aloud and compares them with the printed draft: ${words.map((w, i) => `${i + 1}. ${w}`).join('  ')}`);

    // Signatures over these very bytes count whenever they were made (a retry does not ask an officer again),
    // each verified again before it is used.
    const signed = mine.filter((e) => e.type === 'step.event' && e.data.what === MANIFEST_SIGNATURE && e.data.signed_sha256 === digest);
    const signatures: ManifestSignature[] = [];
    let k = 0;
    for (const s of signers) {
      if (signatures.length >= rule.threshold) break;
      k += 1;
      const key = s.officer.keys['9c']!;
      const earlier = signed.find((e) => e.data.officer === s.officer.id);
      if (earlier) {
        if (!verify('sha256', bytes, createPublicKey(key.certificate), Buffer.from(String(earlier.data.sig), 'base64'))) throw new OfficiantError('ceremony.step-failed', `the journaled signature of ${s.officer.name} does not verify under their 9c key: the journal was changed`);
        signatures.push({ keyid: key.spki_sha256, device_serial: s.officer.device.serial, sig: String(earlier.data.sig) });
        continue;
      }
      const serial = await ctx.prompter.chooseDevice({ stepId: ctx.step.id, id: `signer-${k}`, message: `Manifest signature ${k} of ${rule.threshold}: ${s.person.name}`, suggested: s.officer.device.serial }, deviceChoices(ctx, roster));
      if (serial !== s.officer.device.serial) throw new OfficiantError('ceremony.step-failed', `device ${serial} is not ${s.person.name}'s enrolled device ${s.officer.device.serial}`);
      const yes = await ctx.prompter.confirm(s.person, `Sign OTA manifest ${body.channel} version ${body.version} (${body.targets.length} targets, expires ${body.expires}), words "${words.join(' ')}"?`, { stepId: ctx.step.id });
      if (!yes) throw new OfficiantError('ceremony.step-failed', `${s.person.name} declined to sign manifest ${body.channel} version ${body.version}`);
      const sig = await withPivPin(ctx, s.person, serial, (token, pin) => token.sign('9c', pin, bytes));
      if (!verify('sha256', bytes, createPublicKey(key.certificate), sig)) throw new OfficiantError('ceremony.step-failed', `${s.person.name}'s signature does not verify under the 9c key the roster lists for device ${serial}: nothing is recorded`);
      signatures.push({ keyid: key.spki_sha256, device_serial: serial, sig: sig.toString('base64') });
      ctx.event(MANIFEST_SIGNATURE, { officer: s.officer.id, device: serial, keyid: key.spki_sha256, signed_sha256: digest, sig: sig.toString('base64'), verified: true }, s.person);
      ctx.prompter.say(`  signature ${signatures.length} of ${rule.threshold}: ${s.officer.name}, device ${serial}, 9c key ${key.spki_sha256.slice(0, 16)}…, verified`);
    }
    if (new Set(signatures.map((x) => x.keyid)).size < rule.threshold) throw new OfficiantError('ceremony.quorum-not-met', `quorum not met: ${new Set(signatures.map((x) => x.keyid)).size}/${rule.threshold} distinct keys signed`);

    const manifest: OtaManifest = { signed: body, signatures };
    await ctx.writeOutput(MANIFEST_OUTPUT, `${JSON.stringify(manifest, null, 2)}\n`);
    const l = line as { seq: number; hash: string };
    ctx.result('Manifest', `channel ${body.channel}, version ${body.version}, devices ${body.devices.join(', ')}, expires ${body.expires}`);
    ctx.result('PASS: targets', `${body.targets.length}, each an artifact of a release bundle verified against the pinned release authority (${m.releases.length} bundle(s))`);
    ctx.result('PASS: version and expiry', `version ${body.version} above the last signed for channel ${body.channel}; expires within ${max_validity_days} days`);
    ctx.result('Signed bytes SHA-256', `${digest} (words: ${words.join(' ')})`);
    signatures.forEach((x, i) => {
      const o = signers.find((s) => s.officer.keys['9c']!.spki_sha256 === x.keyid)!.officer;
      ctx.result(`Signature ${i + 1} of ${rule.threshold}`, `${o.name}, device ${x.device_serial}, 9c key ${x.keyid}; verified`);
    });
    ctx.result('Signed manifest', `${MANIFEST_OUTPUT}`);
    ctx.result('Signing log before', logFound(found));
    ctx.result('Signing log', `line ${l.seq} of ${m.signingLog}, hash ${l.hash}`);
  },
};
