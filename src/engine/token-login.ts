// The logins to a token: the site token (where the ceremony's keys live) or the site's evidence token
// (evidence.use-key). Each token's user PIN is split in halves held by different people; each holder types a
// half and the halves are joined only for the login call, then wiped. A session stays open while later steps
// (or the evidence key) need it; a security-officer session replaces the user session for its duration,
// because a token has one login state per application. Every login, refused or not, is journaled with the
// token's label and who typed; a token's serial must stay the one the ceremony first saw for that label.
import { OfficiantError, isOfficiantError } from '../errors.js';
import { knownTokenSerial, pinHoldersOf } from '../record/ledger.js';
import { joinSecrets } from '../custody/secret.js';
import type { CeremonyCore } from './ceremony-core.types.js';
import type { HsmSession, Person, Secret } from './ports.js';

export type TokenLoginHost = Pick<CeremonyCore, 'deps' | 'entries' | 'record' | 'people' | 'personNamed' | 'hsm'>;

/** Which token a login is for, and who holds the halves of its PINs. */
export interface TokenTarget {
  label(): string;
  holders(): Person[];
  /** What each holder is asked for: the prompt's purpose id (as in an answers file) and its words. */
  pin: { id: string; label: string };
}

/** The site token: its PIN holders are those hsm.init-token recorded, else the script's site.pin_holders. */
export function siteToken(c: TokenLoginHost): TokenTarget {
  return {
    label: () => c.deps.site!.tokenLabel,
    pin: { id: 'user-pin-half', label: 'half of the user PIN' },
    holders: () => {
      const fromInit = pinHoldersOf(c.entries);
      if (fromInit) return fromInit.map((n) => c.personNamed(n));
      const declared = c.deps.script.site.pin_holders;
      if (!declared) throw new OfficiantError('input.script-invalid', 'the script declares no PIN holders for the token (site.pin_holders)');
      const holders = c.people(declared.role).slice(0, declared.people);
      if (holders.length < declared.people) throw new OfficiantError('ceremony.step-failed', `token activation needs ${declared.people} checked-in ${declared.role} people, ${holders.length} present`);
      return holders;
    },
  };
}

export class TokenLogin {
  private sessionInstance?: HsmSession;

  constructor(
    private readonly c: TokenLoginHost,
    private readonly target: TokenTarget,
  ) {}

  async session(stepId: string): Promise<HsmSession> {
    if (this.sessionInstance) return this.sessionInstance;
    this.sessionInstance = await this.login(stepId, this.target.pin, { ok: 'hsm-login', refused: 'hsm-login-refused' }, (label, pin) => this.c.hsm().openSession(label, pin));
    return this.sessionInstance;
  }

  /**
   * Runs fn in a security-officer session: the user session (if open) is closed first, because a token has
   * one login state per application; the PIN holders type their halves of the SO PIN; the SO session is
   * closed afterwards and the next session() asks for the user PIN halves again.
   */
  async securityOfficer<T>(stepId: string, fn: (so: HsmSession) => Promise<T> | T): Promise<T> {
    this.logout();
    const so = await this.login(stepId, { id: 'so-pin-half', label: 'half of the SO PIN' }, { ok: 'hsm-so-login', refused: 'hsm-so-login-refused' }, (label, pin) => this.c.hsm().openSoSession(label, pin));
    try {
      return await fn(so);
    } finally {
      so.close();
    }
  }

  /**
   * One login, user or SO, the same way: the holders type their halves in the order the script lists them;
   * a person at the keyboard may re-enter a mistyped half once (scripted answers would only repeat the same
   * wrong PIN and spend a try of the token's retry counter); every refusal is journaled, and so is the login.
   */
  private async login(stepId: string, pin: { id: string; label: string }, what: { ok: string; refused: string }, open: (label: string, pin: Secret) => HsmSession): Promise<HsmSession> {
    const { prompter } = this.c.deps;
    const tokenLabel = this.target.label();
    const holders = this.target.holders();
    const by = holders.map((h) => h.name);
    const attempts = prompter.interactive ? 2 : 1;
    // Which token and why, before anyone is asked (after a resume a login can follow a step's end directly).
    prompter.say(`  Login to token "${tokenLabel}" (${pin.label}): ${by.join(', then ')}.`);
    for (let attempt = 1; ; attempt++) {
      const halves: Secret[] = [];
      try {
        for (const h of holders) halves.push(await prompter.secret(h, { stepId, id: pin.id, label: pin.label, minLength: 1, repeat: false }));
        const joined = joinSecrets(halves);
        let session: HsmSession;
        try {
          session = open(tokenLabel, joined);
        } finally {
          joined.wipe();
        }
        const serial = session.token().serial;
        const known = knownTokenSerial(this.c.entries, tokenLabel);
        if (known !== undefined && known !== serial) {
          session.close();
          throw new OfficiantError('env.token-mismatch', `token "${tokenLabel}" has serial ${serial}, but this ceremony used serial ${known}`);
        }
        this.c.record('step.event', stepId, { what: what.ok, token: tokenLabel, serial, by }, holders[0]);
        return session;
      } catch (err) {
        if (!isOfficiantError(err, 'hsm.pin-incorrect')) throw err;
        this.c.record('step.event', stepId, { what: what.refused, token: tokenLabel, by, attempt, message: err.message }, holders[0]);
        if (attempt >= attempts) throw err;
        prompter.say(`  ${err.message}. Each PIN holder enters their ${pin.label} again, in the same order: ${by.join(', then ')}.`);
      } finally {
        for (const h of halves) h.wipe();
      }
    }
  }

  /** Closes the user session, if one is open; the next session() asks for the PIN halves again. */
  logout(): void {
    this.sessionInstance?.close();
    this.sessionInstance = undefined;
  }
}
