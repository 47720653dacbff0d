// PIV slots and the defaults every device ships with (NIST SP 800-73 practice; YubiKey defaults).
export type PivSlot = '9a' | '9c' | '9d' | '9e';

/** What every PIV device ships with (NIST SP 800-73 practice; YubiKey defaults), and its PIN/PUK tries. */
export const PIV_DEFAULTS = {
  pin: '123456',
  puk: '12345678',
  managementKey: '010203040506070801020304050607080102030405060708',
  tries: 3,
} as const;

export const PIV_SLOT_CKA_ID: Readonly<Record<PivSlot, number>> = { '9a': 1, '9c': 2, '9d': 3, '9e': 4 };
