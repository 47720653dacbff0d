// What a slot's token says about itself (identity, PIN counter flags), and the session and PIN hygiene every
// PKCS#11 adapter shares. Contract: nothing here logs in or changes a token; endSession never throws.
import graphene from 'graphene-pk11';
import type { Secret, TokenIdentity } from '../../engine/ports.js';

/** The PIN as pkcs11js takes it: a short-lived string (its API takes strings); the Secret's owner wipes the bytes. */
export function pinString(pin: Secret): string {
  return pin.use((b) => b.toString('utf8'));
}

/** Every slot with a token present. */
export function slotsOf(mod: graphene.Module): graphene.Slot[] {
  const list = mod.getSlots(true);
  const out: graphene.Slot[] = [];
  for (let i = 0; i < list.length; i++) out.push(list.items(i));
  return out;
}

export function slotId(slot: graphene.Slot): number {
  const h = slot.handle as Buffer;
  return h.length >= 8 ? Number(h.readBigUInt64LE(0)) : h.readUInt32LE(0);
}

export function version(v: { major: number; minor: number }): string {
  return `${v.major}.${v.minor}`;
}

export function identity(slot: graphene.Slot): TokenIdentity {
  const t = slot.getToken();
  return {
    label: t.label.trim(),
    manufacturer: t.manufacturerID.trim(),
    model: t.model.trim(),
    serial: t.serialNumber.trim(),
    hardwareVersion: version(t.hardwareVersion),
    firmwareVersion: version(t.firmwareVersion),
    slotId: slotId(slot),
  };
}

/** What the token says about the user PIN's remaining tries (PKCS#11 leaves the exact count to the token). */
export function pinCounter(slot: graphene.Slot, who: 'user' | 'so' = 'user'): string {
  const F = graphene.TokenFlag;
  const [locked, final, low] = who === 'so' ? [F.SO_PIN_LOCKED, F.SO_PIN_FINAL_TRY, F.SO_PIN_COUNT_LOW] : [F.USER_PIN_LOCKED, F.USER_PIN_FINAL_TRY, F.USER_PIN_COUNT_LOW];
  const pin = who === 'so' ? 'SO PIN' : 'PIN';
  try {
    const flags = slot.getToken().flags;
    if (flags & locked) return ` (the token has now locked the ${who === 'so' ? 'SO PIN' : 'user PIN'})`;
    if (flags & final) return ` (the token reports: one try left before the ${pin} locks)`;
    if (flags & low) return ` (the token reports: few tries left before the ${pin} locks)`;
    return ' (the token reports no retry limit reached)';
  } catch {
    return '';
  }
}

/** Logs out and closes, each on its own: a failed logout (never logged in, token gone) must not leak the session. */
export function endSession(session: graphene.Session | undefined): void {
  if (!session) return;
  try {
    session.logout();
  } catch {
    // not logged in, or the token is gone: nothing left to protect
  }
  try {
    session.close();
  } catch {
    // token removed: the session went with it
  }
}
