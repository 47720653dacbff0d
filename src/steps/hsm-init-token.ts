// hsm.init-token: initialises the site token under dual control. Each of two PIN holders privately types one
// half of the SO PIN and one half of the user PIN (twice, to catch typos); the token gets the concatenation.
// No half is ever shown, stored or journaled, and no single person knows either PIN. C_InitToken and
// C_InitPIN are two journaled operations, each reconciled by looking at the token (does it exist? is its user
// PIN set?), so a crash between them is finished on resume without initialising the token twice.
import { OfficiantError } from '../errors.js';
import { joinSecrets } from '../custody/secret.js';
import type { Person, Secret, TokenIdentity } from '../engine/ports.js';
import type { StepOf } from '../script/schema.js';
import type { StepContext, StepHandler } from '../engine/step-kind.types.js';
import { STEP_NEEDS } from '../script/step-needs.js';

type Ctx = StepContext<StepOf<'hsm.init-token'>>;

async function collectHalves(ctx: Ctx, holders: Person[], id: string, label: string): Promise<Secret> {
  const halves: Secret[] = [];
  try {
    for (const holder of holders) {
      const half = await ctx.prompter.secret(holder, { stepId: ctx.step.id, id, label, minLength: ctx.step.params.min_half_length, repeat: true });
      halves.push(half);
      if (half.length < ctx.step.params.min_half_length) {
        throw new OfficiantError('hsm.pin-invalid', `${holder.name}'s ${label} is shorter than ${ctx.step.params.min_half_length} characters`);
      }
    }
    return joinSecrets(halves);
  } finally {
    for (const h of halves) h.wipe();
  }
}

export const hsmInitToken: StepHandler<'hsm.init-token'> = {
  kind: 'hsm.init-token',
  needs: STEP_NEEDS['hsm.init-token'],
  async run(ctx) {
    const site = ctx.site!;
    const { role, people } = ctx.step.params.pin_holders;
    const holders = ctx.people(role).slice(0, people);
    if (holders.length < people) throw new OfficiantError('ceremony.step-failed', `dual control needs ${people} ${role} people, ${holders.length} checked in`);
    ctx.event('pin-holders', { holders: holders.map((h) => h.name) });

    const hsm = ctx.hsm();
    let soPin: Secret | undefined;
    let userPin: Secret | undefined;
    const askPins = async () => {
      soPin ??= await collectHalves(ctx, holders, 'so-pin-half', 'half of the SO PIN');
      userPin ??= await collectHalves(ctx, holders, 'user-pin-half', 'half of the user PIN');
    };
    try {
      const token = (await ctx.effect(
        'hsm.init-token',
        { label: site.tokenLabel, slot: site.slot ?? null, holders: holders.map((h) => h.name) },
        {
          run: async () => {
            if (hsm.findToken(site.tokenLabel)) throw new OfficiantError('env.token-label-used', `a token labelled "${site.tokenLabel}" already exists`);
            const free = hsm.freeSlots();
            const slot = site.slot ?? free[0];
            if (slot === undefined || !free.includes(slot)) throw new OfficiantError('env.no-free-slot', `no uninitialised slot${site.slot === undefined ? '' : ` ${site.slot}`} for token "${site.tokenLabel}"`);
            await askPins();
            return { ...hsm.initToken(slot, site.tokenLabel, soPin!) };
          },
          reconcile: () => {
            const found = hsm.findToken(site.tokenLabel);
            return found ? { ...found } : undefined;
          },
        },
        holders[0],
      )) as unknown as TokenIdentity;
      await ctx.effect(
        'hsm.init-user-pin',
        { label: site.tokenLabel, serial: token.serial },
        {
          run: async () => {
            await askPins();
            hsm.initUserPin(site.tokenLabel, soPin!, userPin!);
            return { label: site.tokenLabel };
          },
          reconcile: () => (hsm.userPinInitialised(site.tokenLabel) ? { label: site.tokenLabel } : undefined),
        },
        holders[0],
      );
      ctx.setToken(token);
      ctx.result('Token label', site.tokenLabel);
      ctx.result('Token serial', token.serial);
      ctx.result('SO PIN', `split in ${people} halves held by ${holders.map((h) => h.name).join(' and ')}; never displayed or stored`);
      ctx.result('User PIN', `split in ${people} halves held by ${holders.map((h) => h.name).join(' and ')}; never displayed or stored`);
    } finally {
      soPin?.wipe();
      userPin?.wipe();
    }
  },
};
