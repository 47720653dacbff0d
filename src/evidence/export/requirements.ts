// The requirements every ceremony is mapped against and the check that decides each one: `satisfied`,
// `missing` or `not applicable`, with the packet files and journal seqs that decide it.
import { ceremonyReport, eventLog, keyGenerationWitnessed, multiPersonControl, retention, scriptFollowed, splitKnowledge } from './compliance-br.js';
import { approval, deviations, finalSignOff, materials, physicalSecurity, roles, specificSteps, storage } from './compliance-webtrust.js';
import type { Ctx, Finding } from './export-context.js';
import type { ComplianceRow, Requirement } from './packet-index.types.js';

/** The requirements every ceremony is mapped against, in the order of compliance.csv. */
export const REQUIREMENTS: readonly Requirement[] = [
  { id: 'BR-6.1.1.1/script', source: 'CA/B Forum BR 6.1.1.1', text: 'key pair generation follows a documented key generation script' },
  { id: 'BR-6.1.1.1/witness', source: 'CA/B Forum BR 6.1.1.1', text: 'a witness observed each authority key generation and signed off (hsm.generate-key steps)' },
  { id: 'BR-6.1.1.1/report', source: 'CA/B Forum BR 6.1.1.1', text: 'a report of the key generation ceremony' },
  { id: 'BR-5.2.2/split-knowledge', source: 'CA/B Forum BR 5.2.2', text: 'split knowledge: token PINs are split between at least two people' },
  { id: 'BR-5.2.2/multi-person-control', source: 'CA/B Forum BR 5.2.2', text: 'multi-person control: every activation of the HSM needs at least two people' },
  { id: 'BR-5.4.1/event-log', source: 'CA/B Forum BR 5.4.1', text: 'key lifecycle events are logged, each with date and time, the identity of the person, and a description' },
  { id: 'BR-5.4.3/retention', source: 'CA/B Forum BR 5.4.3', text: 'records are kept at least 2 years after key destruction or the expiry of its last certificate' },
  { id: 'WebTrust/roles', source: 'WebTrust key generation script', text: 'roles and responsibilities' },
  { id: 'WebTrust/approval', source: 'WebTrust key generation script', text: 'approval to hold the ceremony' },
  { id: 'WebTrust/materials', source: 'WebTrust key generation script', text: 'hardware and activation materials' },
  { id: 'WebTrust/steps', source: 'WebTrust key generation script', text: 'the specific steps performed' },
  { id: 'WebTrust/physical-security', source: 'WebTrust key generation script', text: 'physical security of the hardware (tamper-evident bags and seals checked)' },
  { id: 'WebTrust/storage', source: 'WebTrust key generation script', text: 'where hardware and materials are stored afterwards' },
  { id: 'WebTrust/sign-off', source: 'WebTrust key generation script', text: 'sign-off by participants and witnesses that the script was (or was not) followed' },
  { id: 'WebTrust/deviations', source: 'WebTrust key generation script', text: 'notes on every deviation from the script' },
];

const CHECKS: Record<string, (ctx: Ctx) => Finding> = {
  'BR-6.1.1.1/script': scriptFollowed,
  'BR-6.1.1.1/witness': keyGenerationWitnessed,
  'BR-6.1.1.1/report': ceremonyReport,
  'BR-5.2.2/split-knowledge': splitKnowledge,
  'BR-5.2.2/multi-person-control': multiPersonControl,
  'BR-5.4.1/event-log': eventLog,
  'BR-5.4.3/retention': retention,
  'WebTrust/roles': roles,
  'WebTrust/approval': approval,
  'WebTrust/materials': materials,
  'WebTrust/steps': specificSteps,
  'WebTrust/physical-security': physicalSecurity,
  'WebTrust/storage': storage,
  'WebTrust/sign-off': finalSignOff,
  'WebTrust/deviations': deviations,
};

/** One compliance row per requirement, in the order of REQUIREMENTS. */
export function complianceRows(ctx: Ctx, ceremonyId: string, verified: boolean): Omit<ComplianceRow, 'pinned' | 'rehearsal'>[] {
  return REQUIREMENTS.map((r) => {
    let f: Finding;
    try {
      f = CHECKS[r.id](ctx);
    } catch (err) {
      // A bug here must not claim a requirement: it shows as missing, with the reason.
      f = { status: 'missing', note: `(export) internal error: ${(err as Error)?.message ?? String(err)}` };
    }
    // A rehearsal proves the script and the tool, never a production clause.
    const rehearsal = ctx.report.rehearsal && f.status === 'satisfied';
    return {
      ceremonyId,
      requirement: r.id,
      source: r.source,
      text: r.text,
      status: rehearsal ? 'rehearsal only' : f.status,
      evidenceFiles: [...new Set(f.files ?? [])],
      journalSeqs: [...new Set(f.seqs ?? [])].sort((a, b) => a - b),
      note: rehearsal ? `rehearsal, not production evidence; would be satisfied: ${f.note}` : f.note,
      verified,
    };
  });
}
