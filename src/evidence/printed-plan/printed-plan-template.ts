// The fixed texts of the printed plan, read from <templateDir>/printed-plan.yaml, with the page settings and fonts
// of step-page.yaml so the plan and the evidence pages match. Strict like every template: every key required,
// unknown keys refused, texts may use only their own {placeholders}, and every step kind must have its text; a
// problem throws OfficiantError 'env.fs' naming the file and the YAML path, before anything is drawn.
import { join } from 'node:path';
import { z } from 'zod';
import type { StepKind } from '../../script/schema.js';
import { loadPageTemplate, type PageTemplate } from '../page-template.js';
import type { TemplateReader } from '../template-reader.js';
import { readTemplateFile, text } from '../template-text.js';

export const PRINTED_PLAN_TEMPLATE_FILE = 'printed-plan.yaml';

// Keyed by step kind, so a new kind cannot be added without saying what the plan prints for it.
const KIND_TEXTS = {
  'room.preflight': text('tolerance', 'override'),
  'participants.check-in': text('people'),
  'manual.confirm': text('role'),
  'hsm.init-token': text('people', 'role'),
  'hsm.generate-key': text('algorithm', 'label', 'authority', 'purpose', 'protection'),
  'hsm.inspect-key': text('key'),
  'hsm.self-signed-certificate': text('key', 'subject', 'days'),
  'evidence.init-key': text('label', 'algorithm'),
  'evidence.use-key': text('people', 'role'),
  'piv.enroll': text('role', 'index', 'slots', 'issuer'),
  'officer.revoke': text('role'),
  'roster.sign': text('threshold', 'role'),
  'quorum.approve': text('threshold', 'role', 'what'),
  'backup.split': text('keys', 'threshold', 'count', 'custodians'),
  'backup.restore': text('keys'),
  'backup.reshare': text('threshold', 'count', 'custodians'),
  'backup.verify': text('custodians'),
  'policy.adopt': text(),
  'request.load': text(),
  'artifacts.stage': text(),
  'policy.check': text(),
  'hsm.sign-artifacts': text('key'),
  'signatures.verify': text(),
  'release.gates': text(),
  'release.publish': text(),
  'manifest.sign': text('role', 'days'),
  'android.sign-window': text(),
} satisfies Record<StepKind, z.ZodType>;

// Steps at which a value is read aloud for people to copy onto their plan (see writeIns).
const WRITE_IN_TEXTS = {
  'hsm.inspect-key': text(),
  'hsm.self-signed-certificate': text(),
  'evidence.init-key': text(),
  'evidence.use-key': text(),
  'quorum.approve': text(),
  'room.preflight': text(),
  'backup.split': text(),
  'backup.reshare': text(),
} satisfies Partial<Record<StepKind, z.ZodType>>;

const PrintedPlanTemplateSchema = z
  .object({
    layout: z.object({ deviationRows: z.number().int().min(1).max(100) }).strict(),
    labels: z
      .object({
        document: text(),
        ceremony: text(),
        version: text(),
        authority: text(),
        steps: text(),
        hsmProfile: text(),
        hsmProfileValue: text('profile'),
        tokenActivation: text(),
        tokenActivationValue: text('people', 'role'),
        scriptSha256: text(),
        compareSha256: text(),
        fillIn: text(),
        date: text(),
        location: text(),
        scheduledStart: text(),
        actualStart: text(),
        endTime: text(),
        approvedBy: text(),
        storedAt: text(),
        roles: text(),
        rolesIntro: text(),
        role: text(),
        name: text(),
        signature: text(),
        initials: text(),
        personOf: text('number', 'count'),
        materials: text(),
        materialsIntro: text(),
        noMaterials: text(),
        step: text('number', 'total', 'title'),
        stepId: text(),
        kind: text(),
        performedBy: text(),
        witnessedBy: text(),
        signedOffBy: text(),
        onFailure: text(),
        onFailureRetry: text(),
        onFailureAbort: text(),
        nobody: text(),
        instructions: text(),
        writeDown: text(),
        initialsOf: text('role'),
        time: text(),
        notes: text(),
        deviationLog: text(),
        deviationIntro: text(),
        deviationTime: text(),
        deviationStep: text(),
        deviationDescription: text(),
        deviationReason: text(),
        deviationInitials: text(),
        signOff: text(),
        signOffIntro: text(),
        statement: text(),
        followed: text(),
        followedWithDeviations: text(),
        signOffDate: text(),
        deviationCount: text(),
        overrideAllowed: text(),
        overrideRefused: text(),
      })
      .strict(),
    kinds: z.object(KIND_TEXTS).strict(),
    writeIn: z.object(WRITE_IN_TEXTS).strict(),
    footer: z.object({ plan: text('ceremony', 'version', 'title'), legal: text(), page: text('page', 'pages') }).strict(),
  })
  .strict();

export type PrintedPlanTemplate = z.output<typeof PrintedPlanTemplateSchema> & Pick<PageTemplate, 'page' | 'fonts'>;

/** printed-plan.yaml, with the page settings and fonts of step-page.yaml; throws OfficiantError 'env.fs'. */
export async function loadPrintedPlanTemplate(templateDir: string, reader: TemplateReader): Promise<PrintedPlanTemplate> {
  const pageTemplate = await loadPageTemplate(templateDir, reader);
  const parsed = await readTemplateFile(reader, join(templateDir, PRINTED_PLAN_TEMPLATE_FILE), PrintedPlanTemplateSchema);
  return { ...parsed.value, page: pageTemplate.page, fonts: pageTemplate.fonts };
}
