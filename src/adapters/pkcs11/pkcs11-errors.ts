// CKR_* return codes as OfficiantErrors. Contract: pkcs11Error keeps an OfficiantError as it is, maps the codes
// a ceremony meets to hsm.* codes with a short text, and names any other failure by its CKR_ name only (the
// first line of the binding's message names the function and the code, never a template's values or a PIN).
import { OfficiantError, type HsmCode } from '../../errors.js';

const CKR: Record<number, { code: HsmCode; text: string }> = {
  0x30: { code: 'hsm.device', text: 'device error' },
  0x32: { code: 'hsm.device', text: 'device removed' },
  0xe0: { code: 'hsm.device', text: 'token not present' },
  0xb0: { code: 'hsm.device', text: 'session closed' },
  0xb3: { code: 'hsm.device', text: 'session no longer valid (token removed?)' },
  0x70: { code: 'hsm.mechanism', text: 'mechanism not supported by the token' },
  0xa0: { code: 'hsm.pin-incorrect', text: 'pin incorrect' },
  0xa1: { code: 'hsm.pin-invalid', text: 'pin contains characters the token refuses' },
  0xa2: { code: 'hsm.pin-invalid', text: 'pin length out of the range the token accepts' },
  0xa4: { code: 'hsm.pin-locked', text: 'pin locked after too many wrong entries' },
  0x101: { code: 'hsm.not-logged-in', text: 'not logged in' },
};

export function pkcs11Error(err: unknown, what: string): OfficiantError {
  if (err instanceof OfficiantError) return err;
  const code = ckrOf(err);
  const mapped = code === undefined ? undefined : CKR[code];
  if (mapped) return new OfficiantError(mapped.code, `${what}: ${mapped.text}`, { cause: err });
  const text = String((err as Error)?.message ?? err).split('\n')[0];
  const name = /CKR_[A-Z_]+/.exec(text)?.[0] ?? `unexpected error (${text})`;
  return new OfficiantError('hsm.general', `${what}: ${name}`, { cause: err });
}

/** The CKR_* code a pkcs11js error carries, if any. */
export function ckrOf(err: unknown): number | undefined {
  return typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
}
