// One loaded, initialised PKCS#11 library per path per process, shared by reference count. Contract:
// acquireModule() loads and calls C_Initialize only for the first user of a library; release() calls C_Finalize
// only when the last user lets go. Why: in a rehearsal the HSM adapter and the PIV reader both use
// libsofthsm2.so; a second C_Initialize fails (graphene hides that) and one user's C_Finalize would end the
// other user's sessions in the middle of a ceremony.
import graphene from 'graphene-pk11';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { OfficiantError } from '../../errors.js';

const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;

export interface Pkcs11Module {
  readonly module: graphene.Module;
  /** The path the caller asked for (for messages and evidence). */
  readonly library: string;
  /** Gives this user's reference back; idempotent. The last release finalises the library. */
  release(): void;
}

interface Entry {
  module: graphene.Module;
  users: number;
  /** False when someone outside this registry had initialised the library already: theirs to finalise. */
  owned: boolean;
}

const loaded = new Map<string, Entry>();

function keyOf(library: string): string {
  try {
    return realpathSync(library);
  } catch {
    return resolve(library);
  }
}

function ckrText(err: unknown): string {
  const text = String((err as Error)?.message ?? err).split('\n')[0];
  return /CKR_[A-Z_]+/.exec(text)?.[0] ?? text;
}

function load(library: string): Entry {
  let mod: graphene.Module;
  try {
    mod = graphene.Module.load(library, 'officiant');
  } catch (err) {
    throw new OfficiantError('env.module-load', `cannot load PKCS#11 module ${library}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  let owned = true;
  try {
    // graphene's initialize() swallows CKR_CRYPTOKI_ALREADY_INITIALIZED; call the binding to see it.
    (mod as unknown as { lib: { C_Initialize(): void } }).lib.C_Initialize();
  } catch (err) {
    if ((err as { code?: unknown })?.code !== CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      throw new OfficiantError('env.module-load', `PKCS#11 module ${library} failed to initialise: C_Initialize: ${ckrText(err)}`, { cause: err });
    }
    owned = false;
  }
  try {
    (mod as unknown as { getInfo(): void }).getInfo();
  } catch (err) {
    if (owned) finalise(mod);
    throw new OfficiantError('env.module-load', `PKCS#11 module ${library} does not describe itself: C_GetInfo: ${ckrText(err)}`, { cause: err });
  }
  return { module: mod, users: 0, owned };
}

function finalise(mod: graphene.Module): void {
  try {
    mod.finalize();
  } catch {
    // already finalised: nothing left to release
  }
}

export function acquireModule(library: string): Pkcs11Module {
  const key = keyOf(library);
  let entry = loaded.get(key);
  if (!entry) {
    entry = load(library);
    loaded.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    module: held.module,
    library,
    release: () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0 || loaded.get(key) !== held) return;
      loaded.delete(key);
      if (held.owned) finalise(held.module);
    },
  };
}

/** How many users hold the library now (0 when it is not loaded); for tests and diagnostics. */
export function moduleUsers(library: string): number {
  return loaded.get(keyOf(library))?.users ?? 0;
}
