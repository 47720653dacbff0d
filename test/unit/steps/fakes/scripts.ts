// Scripts for step-kind unit tests: one administrator, one witness, and (where asked) crypto officers who
// check in by PIV token; `steps` are the steps under test, after a check-in.
import type { Person } from '../../../../src/engine/ports.js';
import { script } from './step-context.js';

export const ADMIN: Person = { name: 'Ada Admin', role: 'admin' };
export const WITNESS: Person = { name: 'Walt Witness', role: 'witness' };

export function scriptWith(steps: unknown[], opts: { officers?: number; extraRoles?: Record<string, unknown> } = {}) {
  return script({
    id: 'unit-ceremony',
    title: 'Unit ceremony',
    version: 1,
    authority: 'manifest',
    roles: {
      admin: { title: 'Ceremony Administrator', people: 1 },
      witness: { title: 'Witness', people: 1 },
      ...(opts.officers ? { 'crypto-officer': { title: 'Crypto Officer', people: opts.officers, identity: 'piv' } } : {}),
      ...(opts.extraRoles ?? {}),
    },
    steps: [{ id: 'check-in', kind: 'participants.check-in', title: 'Check in', instructions: 'Everyone checks in.', perform: 'admin' }, ...steps],
  });
}

/** A step with the common fields filled in. */
export function step(id: string, kind: string, params: unknown, extra: Record<string, unknown> = {}) {
  return { id, kind, title: `Step ${id}`, instructions: 'Do it as written.', perform: 'admin', witness: ['witness'], params, ...extra };
}
