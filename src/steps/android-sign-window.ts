// android.sign-window: Android's own tools (avbtool, ota_from_target_files) sign through the release authority's
// HSM, only within the signing plan the officers approved. The step needs the last approval of this step to name
// this very plan (--signing-plan); it finds each of the plan's keys on the token (one key per label, of the
// plan's algorithm, never a test key), opens one logged-in session and listens on a Unix socket in the
// session's directory. The operator runs the tools in another terminal with OFFICIANT_SIGNING_WINDOW set to
// that socket; each helper request is served by shared/window-signer.ts (checked, signed, verified, journaled
// before it is returned). The window closes when the operator says so (`officiant window close`) or when the
// plan's time limit passes; later requests find no window. A window opens once per approval: after a crash,
// resume reopens nothing (a new session needs a new approval), and the journal keeps every signature returned.
import { OfficiantError } from '../errors.js';
import { spkiSha256 } from '../custody/deny-list.js';
import { builtInDenyList, deniedKey } from '../custody/deny-list.js';
import { lastApprovalOf } from '../custody/quorum.js';
import { parseSigningPlan, WINDOW_KINDS, type WindowKind } from '../custody/signing-plan.js';
import type { StepHandler } from '../engine/step-kind.types.js';
import { sha256Hex } from '../record/digest.js';
import { STEP_NEEDS } from '../script/step-needs.js';
import { serveWindowRequest, windowKey, WINDOW_SIGNATURE, type WindowState } from './shared/window-signer.js';

export const WINDOW_OPENED = 'window-opened';
export const WINDOW_CLOSED = 'window-closed';

export const androidSignWindow: StepHandler<'android.sign-window'> = {
  kind: 'android.sign-window',
  needs: STEP_NEEDS['android.sign-window'],
  async run(ctx) {
    const w = ctx.signingWindow();
    await w.server.removeStale(w.socket);
    const read = parseSigningPlan(w.plan.bytes);
    if (!read.plan || !read.sha256) throw new OfficiantError('input.signing-plan', `the signing plan is refused: ${read.problems.length} problem(s)`, { details: read.problems });
    const plan = read.plan;
    const entries = ctx.entries();
    const approval = lastApprovalOf(entries, ctx.step.id);
    if (!approval || approval.statement.approve.what !== 'step' || approval.statement.approve.plan?.sha256 !== read.sha256) {
      throw new OfficiantError('ceremony.step-failed', `no approval of step ${ctx.step.id} names this signing plan (SHA-256 ${read.sha256}): officers approve the plan before the window opens`);
    }
    const opened = entries.slice(approval.at).find((e) => e.step === ctx.step.id && e.type === 'step.event' && e.data.what === WINDOW_OPENED);
    if (opened) {
      const made = entries.filter((e) => e.step === ctx.step.id && e.type === 'step.event' && e.data.what === WINDOW_SIGNATURE).length;
      throw new OfficiantError('ceremony.step-failed', `the signing window was opened under this approval already (journal line ${opened.seq}; ${made} signature(s) returned, each journaled): it is not reopened; more signatures need a new session and a new approval`);
    }

    // Each plan key on the token: one private key of that label and algorithm, not a test key.
    const session = await ctx.session();
    const keys = plan.keys.map((k) => {
      const found = session.findKeys(k.label);
      if (found.length !== 1) throw new OfficiantError('hsm.key-not-found', `the plan's key "${k.label}": expected one key with that label on token ${session.token().label}, found ${found.length}`);
      if (found[0].algorithm !== k.algorithm) throw new OfficiantError('ceremony.step-failed', `the plan's key "${k.label}" is ${k.algorithm}; the token's is ${found[0].algorithm}`);
      const spki = spkiSha256(windowKey(k, found[0], '').publicKey);
      const test = deniedKey(builtInDenyList(), spki);
      if (test) throw new OfficiantError('ceremony.step-failed', `the token's key "${k.label}" is ${test.name} (${test.source}), a public test key`);
      return windowKey(k, found[0], spki);
    });
    const closesAt = new Date(ctx.now().getTime() + plan.time_limit_minutes * 60_000);
    const state: WindowState = { keys, used: new Map(keys.map((k) => [k.plan.label, { avb: 0, payload: 0 }])), returned: [], closesAt, closed: false };

    let closeWith: (reason: string) => void = () => undefined;
    const closing = new Promise<string>((resolve) => (closeWith = resolve));
    const close = (reason: string) => {
      if (state.closed) return;
      state.closed = true;
      closeWith(reason);
    };
    const server = await w.server.listen(w.socket, (bytes: Buffer) => serveWindowRequest(bytes, state, { session, now: () => ctx.now(), event: (what, data) => ctx.event(what, data), close }));
    // Journaled once it listens (a socket that cannot be made uses up no approval), before any request is served:
    // requests reach serve() only after this synchronous continuation.
    ctx.event(WINDOW_OPENED, { plan_sha256: read.sha256, socket: w.socket, closes_at: closesAt.toISOString(), keys: keys.map((k) => ({ label: k.plan.label, algorithm: k.record.algorithm, spki_sha256: k.spkiSha256, spki: k.record.spki.toString('base64'), avb: k.plan.budget.avb, payload: k.plan.budget.payload })) });
    const timer = setTimeout(() => close('its time limit passed'), Math.max(0, closesAt.getTime() - ctx.now().getTime()));
    timer.unref?.();
    ctx.prompter.say(`  Signing window open until ${closesAt.toISOString()} (${plan.time_limit_minutes} min) for ${keys.map((k) => `${k.plan.label} (avb ${k.plan.budget.avb}, payload ${k.plan.budget.payload})`).join(', ')}.`);
    ctx.prompter.say(`  In the tools' terminal:  export OFFICIANT_SIGNING_WINDOW=${w.socket}`);
    ctx.prompter.say(`  Run the plan's ${plan.commands.length} command(s); when they have finished:  officiant window close`);
    let reason: string;
    try {
      reason = await closing;
    } finally {
      clearTimeout(timer);
      await server.close();
    }

    const listSha256 = sha256Hex(state.returned.join('\n'));
    ctx.event(WINDOW_CLOSED, { reason, signatures: state.returned.length, signatures_sha256: listSha256, used: Object.fromEntries(state.used) });
    ctx.prompter.say(`  Signing window closed (${reason}): ${state.returned.length} signature(s).`);
    ctx.result('Signing plan', `SHA-256 ${read.sha256}: ${plan.inputs.target_files.name} ${plan.inputs.target_files.sha256}, ${plan.inputs.otatools.name} ${plan.inputs.otatools.sha256}; ${plan.commands.length} command(s)`);
    for (const k of keys) {
      const used = state.used.get(k.plan.label)!;
      ctx.result(`Key ${k.plan.label}`, `${k.record.algorithm}, SPKI SHA-256 ${k.spkiSha256}: ${WINDOW_KINDS.map((kind: WindowKind) => `${kind} ${used[kind]} of ${k.plan.budget[kind]}`).join(', ')}`);
    }
    ctx.result('Window', `opened ${new Date(closesAt.getTime() - plan.time_limit_minutes * 60_000).toISOString()}, closed because ${reason}`);
    ctx.result('Signatures', `${state.returned.length}, each verified against its key before it was returned and journaled`);
    ctx.result('Signature list SHA-256', listSha256);
  },
};
