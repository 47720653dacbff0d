// The ceremony language. A script is reviewed and signed off by people before a ceremony, so it says WHAT
// happens and WHO does it; WHERE (module path, token label, slot) comes from a separate site file, and secrets
// (PINs) come from people at run time. Every object is strict: an unknown key is an error, never ignored.
import { z } from 'zod';

const id = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes, starting with a letter');

export const AUTHORITIES = ['release', 'manifest'] as const;
export const Authority = z.enum(AUTHORITIES).describe('The signing authority this ceremony serves. Keys of one authority never sign for the other.');
export type Authority = (typeof AUTHORITIES)[number];

export const KEY_ALGORITHMS = ['RSA-3072', 'RSA-4096', 'EC-P256', 'EC-P384'] as const;
export const KeyAlgorithm = z.enum(KEY_ALGORITHMS);

const roleRef = id.describe('A role id declared under `roles`.');
const roleList = z.array(roleRef).describe('Role ids; every person checked in under these roles takes part.');

export const Role = z
  .object({
    title: z.string().min(1).describe('How the role is shown to people, e.g. "Crypto Officer".'),
    people: z.number().int().min(1).max(20).describe('How many distinct people must be present in this role.'),
    description: z.string().optional().describe('Responsibilities of the role, printed in the plan.'),
    identity: z
      .enum(['document', 'piv'])
      .default('document')
      .describe(
        'How people of this role prove who they are at check-in. document: an identity document checked by the others, name typed; piv: an officer on the roster signs a fresh challenge with their PIV token (slot 9a), and the evidence names them by certificate.',
      ),
  })
  .strict();

const stepCommon = {
  id: id.describe('Unique step id; also names the evidence page steps/NN-<id>.pdf.'),
  title: z.string().min(1).describe('Short title shown to people and on the evidence page.'),
  instructions: z.string().min(1).describe('What the people do, shown at the step and printed on its evidence page.'),
  perform: roleRef.describe('The role whose member performs the step.'),
  witness: roleList.default([]).describe('Roles that watch the step being performed.'),
  sign_off: roleList.default([]).describe('Roles whose members confirm the step was done as written.'),
  on_failure: z
    .enum(['retry', 'abort'])
    .default('retry')
    .describe('retry: people may retry a failed step after stating a reason (journaled as a deviation) or abort; abort: a failure aborts the ceremony.'),
};

export const CheckInParams = z
  .object({
    roles: roleList.optional().describe('Roles to check in; default: every role of the script.'),
  })
  .strict();

export const RoomPreflightParams = z
  .object({
    clock_tolerance_seconds: z.number().int().min(1).max(3600).default(120).describe("How far the laptop's clock may be from the reference time the administrator reads and types."),
    allow_override: z
      .boolean()
      .default(false)
      .describe('Whether the administrator may go on after a failed check, with a reason recorded as a deviation (default: a failed check stops the ceremony before check-in).'),
  })
  .strict();

export const ConfirmParams = z
  .object({
    confirm_by: roleRef.describe('The role whose member confirms.'),
    record: z
      .array(
        z
          .object({
            id: id.describe('Name of the recorded value, e.g. hsm-bag-serial.'),
            label: z.string().min(1).describe('Question shown to the person, e.g. "Tamper-bag serial of the HSM".'),
            pattern: z.string().optional().describe('Regular expression the whole value must match.'),
            example: z.string().optional().describe('A value used by rehearsals (must match the pattern).'),
          })
          .strict(),
      )
      .default([])
      .describe('Values people read off and type in (serial numbers, seal ids); they go into the journal and evidence.'),
  })
  .strict();

export const PinHolders = z
  .object({
    role: roleRef,
    people: z
      .number()
      .int()
      .min(2, 'dual control needs at least 2 people')
      .max(2, 'PINs are split in two halves: exactly 2 people')
      .describe('Number of distinct people who each enter one half of every token PIN.'),
  })
  .strict();

export const InitTokenParams = z
  .object({
    pin_holders: PinHolders.describe('Who holds the halves of the SO PIN and the user PIN (dual control: neither half is shown or stored).'),
    min_half_length: z.number().int().min(4).max(32).default(6).describe('Minimum length of each PIN half.'),
  })
  .strict();

export const GenerateKeyParams = z
  .object({
    label: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dot, dash or underscore').describe('CKA_LABEL of the new key pair; must not exist on the token.'),
    algorithm: KeyAlgorithm.describe('Key type and size.'),
    authority: Authority.describe('The authority the key belongs to; must be the script authority.'),
    purpose: z.string().min(1).describe('What the key is for, recorded in the evidence, e.g. "release root".'),
    backup: z
      .boolean()
      .default(false)
      .describe('Back the key up in a later backup.split step: the private key is then extractable, but only wrapped under a wrap key the SO marked trusted (CKA_WRAP_WITH_TRUSTED), so it is not NEVER_EXTRACTABLE.'),
  })
  .strict();

export const InspectKeyParams = z
  .object({
    key: z.string().min(1).describe('Label of a key generated by an earlier step.'),
  })
  .strict();

export const DistinguishedName = z
  .object({
    CN: z.string().min(1),
    O: z.string().min(1).optional(),
    OU: z.string().min(1).optional(),
    C: z.string().length(2).optional(),
  })
  .strict();

export const SelfSignedCertParams = z
  .object({
    key: z.string().min(1).describe('Label of a key generated by an earlier step.'),
    subject: DistinguishedName.describe('Subject and issuer name of the root certificate.'),
    validity_days: z.number().int().min(1).max(36500).describe('Validity from the ceremony date.'),
    path_length: z.number().int().min(0).max(8).optional().describe('basicConstraints pathLenConstraint.'),
  })
  .strict();

export const EvidenceKeyParams = z
  .object({
    label: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dot, dash or underscore').default('officiant-evidence').describe('CKA_LABEL of the evidence-signing key.'),
    algorithm: z.enum(['EC-P256', 'EC-P384']).default('EC-P256').describe('Evidence keys are EC: P-256 or P-384.'),
    subject: DistinguishedName.default({ CN: 'Officiant ceremony evidence signing key' }).describe('Subject of its self-signed certificate.'),
    validity_days: z.number().int().min(1).max(36500).default(3650),
  })
  .strict();

export const UseEvidenceKeyParams = z
  .object({
    pin_holders: PinHolders.describe("Who types the halves of the evidence token's user PIN (set when that token was initialised)."),
  })
  .strict();

const PIV_SLOTS = ['9a', '9c', '9d'] as const;

export const PivEnrollParams = z
  .object({
    officer: z
      .object({
        role: roleRef.describe('The role of the checked-in person being enrolled.'),
        index: z.number().int().min(1).max(20).describe('Which person of that role, in check-in order (1 = first).'),
      })
      .strict()
      .describe('The person this step enrolls.'),
    roster_roles: z.array(id).min(1).optional().describe('Roles the officer holds on the roster; default: the role above.'),
    slots: z
      .array(z.enum(PIV_SLOTS))
      .min(1)
      .default(['9a', '9c'])
      .refine((s) => s.includes('9a'), 'must include 9a: the key officers prove their presence and approve with')
      .refine((s) => new Set(s).size === s.length, 'lists a slot twice')
      .describe('Slots to generate keys in: 9a (identity and approvals, always), 9c (manifest signing), 9d (key management: opens backup shares sealed to the officer).'),
    issuer: z.string().min(1).describe('Label of the enrollment CA key that issues the slot certificates: generated and certified earlier in this ceremony, or (issuer_source: roster) the key of the roster\'s enrollment CA on the HSM.'),
    replaces: id
      .optional()
      .describe('A lost token replaced: the id of the earlier officer.revoke step of this ceremony. The person enrolled must be the officer revoked there (same name), and keeps their roster roles.'),
    issuer_source: z
      .enum(['ceremony', 'roster'])
      .default('ceremony')
      .describe('Where the enrollment CA comes from: "ceremony" (made earlier in this ceremony: a first roster) or "roster" (the roster the ceremony starts with; its key found on the HSM by label and checked against the roster\'s CA certificate: an officer joining a live roster).'),
    pin_min_length: z.number().int().min(6).max(8).default(6).describe('Minimum length of the officer\'s new PIN (PIV allows 6 to 8).'),
    documents: z
      .array(z.string().min(1))
      .min(1)
      .default(['passport', 'national identity card', 'driving licence'])
      .describe('Identity document types the administrator may record (type and number are recorded, never an image).'),
    validity_days: z.number().int().min(1).max(3650).default(1095).describe('Validity of the slot certificates.'),
  })
  .strict();

export const RosterSignParams = z
  .object({
    signing_policy: z
      .object({
        role: roleRef.describe('Role whose active officers must sign the next roster.'),
        threshold: z.number().int().min(2, 'dual control: at least 2 distinct people').describe('How many distinct officers of that role sign the next roster.'),
      })
      .strict()
      .describe('Written into the roster: who must sign the roster that replaces it.'),
  })
  .strict();

export const OfficerRevokeParams = z
  .object({
    record_by: roleRef.describe('The role whose member types the device serial and the reason.'),
  })
  .strict();

export const QuorumApproveParams = z
  .object({
    role: roleRef.describe('Approvers must be checked-in officers holding this role on the roster (role identity: piv).'),
    threshold: z
      .number()
      .int()
      .min(2, 'dual control: at least 2 distinct people must approve')
      .describe('How many distinct officers must approve before the ceremony goes on.'),
    approve: z
      .string()
      .min(1)
      .describe('What is approved: the id of a later step (its kind and exact parameters are in the statement), or "record" for the ceremony record so far (the journal head).'),
  })
  .strict();

const officerId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a roster officer id: lowercase letters, digits and dashes');

const Custodians = z
  .union([
    z.array(officerId).min(2).describe('Roster ids of the custodians.'),
    z
      .object({
        roster: z.literal('custodian').describe('Every active officer holding the role custodian on the roster.'),
        count: z.number().int().min(2).max(255).describe('How many there must be: a roster with another number of custodians is refused at the step.'),
      })
      .strict(),
  ])
  .describe('The custodians (officers holding the role custodian on the roster, each with a 9d key): each gets one share, sealed to their token.');

/** The custodians a backup step names, in words. */
export function custodianNames(c: z.output<typeof Custodians>): string {
  return Array.isArray(c) ? `custodians ${c.join(', ')}` : `the roster's ${c.count} custodians`;
}

/** How many custodians a backup step names. */
export function custodianCount(c: z.output<typeof Custodians>): number {
  return Array.isArray(c) ? new Set(c).size : c.count;
}

export const BackupSplitParams = z
  .object({
    keys: z.array(z.string().min(1)).min(1).describe('Labels of keys generated earlier in this ceremony with backup: true.'),
    custodians: Custodians,
    threshold: z.number().int().min(2, 'dual control: at least 2 custodians must be needed to restore').describe('How many custodians\' shares rebuild the wrap key (m of n).'),
    absent_allowed: z
      .number()
      .int()
      .min(0)
      .max(1)
      .default(1)
      .describe('How many custodians may be recorded absent (a deviation: they verify their share in a later ceremony) instead of opening their share today.'),
  })
  .strict();

export const BackupRestoreParams = z
  .object({
    keys: z.array(z.string().min(1)).min(1).optional().describe('Labels of the backed-up keys to restore; default: every key in the backup.'),
  })
  .strict();

export const BackupReshareParams = BackupSplitParams.omit({ keys: true });

export const BackupVerifyParams = z
  .object({
    custodians: z.array(officerId).min(1).optional().describe('Roster ids of the custodians expected to open their shares (e.g. one recorded absent at the backup); default: every custodian of the backup.'),
  })
  .strict();

export const PolicyAdoptParams = z.object({}).strict();

export const SignArtifactsParams = z
  .object({
    key: z.string().min(1).max(64).describe("Label of the release key in the HSM; the policy must list it (label and SPKI SHA-256) for every kind it signs."),
    batch: z.number().int().min(1).max(4096).default(256).describe('Artifacts signed per journaled batch (intent, signatures, result): fewer disk syncs for large releases.'),
  })
  .strict();

export const ManifestSignParams = z.object({
  role: z.string().min(1).default('crypto-officer').describe("The roster role whose officers sign with their 9c keys; the roster's signing policy says how many (the keyring's manifest threshold)."),
  max_validity_days: z.number().int().min(1).max(366).default(31).describe('The longest a manifest may stay valid, counted from the signing: a later expiry is refused at the gates.'),
}).strict();

/** Step kinds of a release signing session whose params are empty. */
export const NoParams = z.object({}).strict();

function step<K extends string, P extends z.ZodType>(kind: K, params: P, describe: string) {
  return z.object({ ...stepCommon, kind: z.literal(kind), params }).strict().describe(describe);
}

export const Step = z.discriminatedUnion('kind', [
  step('room.preflight', RoomPreflightParams.prefault({}), "Check and record the laptop before the first key: network interfaces (loopback only), the clock against a reference the administrator types, the boot medium's SHA-256, the USB devices against the site file's allowlist, Officiant's version and the SHA-256 of its installed files. Rehearsals record and never stop."),
  step('participants.check-in', CheckInParams.default({}), 'Record who is present, in which role.'),
  step('manual.confirm', ConfirmParams, 'An instruction a named role carries out and confirms, optionally recording values.'),
  step('hsm.init-token', InitTokenParams, 'Initialise the site HSM token: SO PIN and user PIN under dual control.'),
  step('hsm.generate-key', GenerateKeyParams, 'Generate a sensitive, non-extractable key pair inside the HSM.'),
  step('hsm.inspect-key', InspectKeyParams, 'Read back and record a key\'s attributes, public key and the token identity.'),
  step('hsm.self-signed-certificate', SelfSignedCertParams, 'Make the authority root certificate, signed inside the HSM.'),
  step('evidence.init-key', EvidenceKeyParams.prefault({}), 'Create the evidence-signing key (never an authority key) and its certificate; from then on every evidence page is signed in the HSM.'),
  step('evidence.use-key', UseEvidenceKeyParams, "Activate the site's evidence token (initialised beforehand, its certificate pinned in the site file) and prove its key; from then on every evidence page is signed there, never on the ceremony's own token."),
  step('piv.enroll', PivEnrollParams, "Enroll one officer's PIV token: identity check, default credentials replaced, keys generated on the device, attestation verified, certificates issued and imported, a test signature."),
  step('officer.revoke', OfficerRevokeParams, 'Remove an officer (lost device, departure) from the next roster, with the reason.'),
  step('roster.sign', RosterSignParams, 'Build the new officer roster and the manifest keyring from this ceremony and the previous roster; a quorum signs both with their tokens.'),
  step('quorum.approve', QuorumApproveParams, 'Officers approve exactly what comes next: a statement digest read aloud as words, signed with each approver\'s token, counted per distinct person.'),
  step('backup.split', BackupSplitParams, 'Back up keys under a new wrap key split m-of-n among custodians; each share is sealed to a custodian\'s token and opened by them at once.'),
  step('backup.restore', BackupRestoreParams.prefault({}), 'Restore backed-up keys into this token: custodians open their shares, the wrap key is rebuilt and checked, each key is unwrapped and proven to be the original.'),
  step('backup.verify', BackupVerifyParams.prefault({}), 'Custodians of a backup (--backup) open their shares with their tokens and sign receipts: a later check that the shares still open, or the verification of a custodian recorded absent at the backup.'),
  step('policy.adopt', PolicyAdoptParams.prefault({}), "Officers adopt a release signing policy (--policy <draft>): they compare its digest's six words and their tokens sign it, as the roster's threshold requires; outputs/policy.json is what signing sessions load."),
  step('request.load', NoParams.prefault({}), 'Load the signing request (--request) and the signed policy (--policy) and check them: policy signatures and expiry, request shape, kinds, limits, age, replay and version against the signing log.'),
  step('artifacts.stage', NoParams.prefault({}), "Copy each requested artifact into the session's read-only staging directory while hashing it, in one streaming pass; a size or digest unlike the request's refuses it."),
  step('policy.check', NoParams.prefault({}), 'Check the staged release against the policy: authority separation, kinds per key, limits, no test key (the signing key, and every artifact and ZIP entry scanned), no private key material.'),
  step('hsm.sign-artifacts', SignArtifactsParams, "Sign every staged artifact's SHA-256 with the release key in one logged-in HSM session; journaled per batch, each signature written as signatures/<name>.sig."),
  step('signatures.verify', NoParams.prefault({}), "Check every signature in software against the public key in the authority's certificate, and hash every staged file again."),
  step('release.gates', NoParams.prefault({}), 'The release gates: counts match the request, the version is above the last one signed for the channel, no test key was found; each result on the page.'),
  step('release.publish', NoParams.prefault({}), 'Write the release bundle atomically (request, artifacts, signatures, authority certificate, release statement signed in the HSM) and append the signing log.'),
  step('manifest.sign', ManifestSignParams.prefault({}), "The OTA Manifest Signing Authority signs a manifest draft (--manifest): gates first (every target an artifact of a release bundle (--release) verified against the pinned release authority, a version above the last signed for the channel, an expiry within max_validity_days, no release or test key among the signers), then the roster's threshold of officers each confirm and sign with their 9c key, each signature verified at once; outputs/ota-manifest.json, and the manifest signing log appended."),
  step('android.sign-window', NoParams.prefault({}), "A signing window for Android's own tools (avbtool --signing_helper, ota_from_target_files --payload_signer): the release HSM signs, through Officiant's helpers, only what the approved signing plan (--signing-plan) allows (its keys, each within its avb and payload budgets, until its time limit), each signature checked before and verified after it is made, and journaled."),
  step('backup.reshare', BackupReshareParams, 'Custodians of a backup rebuild its wrap key; the keys are wrapped again under a new wrap key split among a new set of custodians.'),
]);

export const STEP_KINDS = Step.options.map((o) => o.shape.kind.value);
export type StepKind = (typeof STEP_KINDS)[number];

export const Script = z
  .object({
    id: id.describe('Ceremony script id.'),
    title: z.string().min(1),
    version: z.number().int().min(1).describe('Version of this script; bump it on every reviewed change.'),
    authority: Authority,
    description: z.string().optional(),
    site: z
      .object({
        hsm: id.optional().describe('Name of the HSM profile this ceremony uses; the site file maps it to a module and token.'),
        pin_holders: PinHolders.optional().describe(
          'Who activates an existing token (scripts without hsm.init-token): each types one half of the user PIN, so no single person can.',
        ),
      })
      .strict()
      .default({})
      .describe('The site profile the ceremony expects. Module paths and token labels live in the site file.'),
    materials: z.array(z.string().min(1)).default([]).describe('Hardware and materials to bring.'),
    roles: z.record(id, Role).describe('Roles by id, with how many people each needs.'),
    steps: z.array(Step).min(1, 'a ceremony needs at least one step'),
  })
  .strict();

export type Script = z.output<typeof Script>;
export type Step = z.output<typeof Step>;
export type Role = z.output<typeof Role>;
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;
export type KeyAlgorithm = z.output<typeof KeyAlgorithm>;
