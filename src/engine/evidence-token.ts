// The site's evidence token (evidence.use-key): a token of its own, initialised before the ceremony by
// ceremonies/evidence-token-init.yaml, whose key signs this ceremony's evidence while the ceremony's own token
// is used only for its keys. Its PIN holders are the two people who typed at its first login in this journal,
// or, before that, the first people of the role the evidence.use-key step names.
import { OfficiantError } from '../errors.js';
import type { JournalEntry } from '../record/journal.js';
import type { Person } from './ports.js';
import type { TokenLoginHost, TokenTarget } from './token-login.js';

/** The purpose id of a half of the evidence token's user PIN (prompts, answers files). */
export const EVIDENCE_PIN_HALF = 'evidence-pin-half';

/** Who typed the halves at the first successful login to the token labelled `label`, if any. */
export function firstLoginBy(entries: readonly JournalEntry[], label: string): string[] | undefined {
  const login = entries.find((e) => e.type === 'step.event' && e.data.what === 'hsm-login' && e.data.token === label);
  return login && Array.isArray(login.data.by) ? login.data.by.map(String) : undefined;
}

export function evidenceToken(c: TokenLoginHost): TokenTarget {
  const label = (): string => {
    const evidence = c.deps.site?.evidence;
    if (!evidence) throw new OfficiantError('input.site-invalid', `the site file names no evidence token for HSM profile "${c.deps.script.site.hsm}" (hsm.${c.deps.script.site.hsm}.evidence: token_label, key_label, certificate, certificate_sha256); make one with ceremonies/evidence-token-init.yaml`);
    return evidence.tokenLabel;
  };
  return {
    label,
    pin: { id: EVIDENCE_PIN_HALF, label: "half of the evidence token's user PIN" },
    holders: (): Person[] => {
      const typed = firstLoginBy(c.entries, label());
      if (typed) return typed.map((n) => c.personNamed(n));
      const step = c.deps.script.steps.find((s) => s.kind === 'evidence.use-key');
      if (step?.kind !== 'evidence.use-key') throw new OfficiantError('input.script-invalid', 'the script has no evidence.use-key step naming who activates the evidence token');
      const { role, people } = step.params.pin_holders;
      const holders = c.people(role).slice(0, people);
      if (holders.length < people) throw new OfficiantError('ceremony.step-failed', `the evidence token needs ${people} checked-in ${role} people, ${holders.length} present`);
      return holders;
    },
  };
}
