// hsm.init-token: initialises the site token under dual control. Each of two PIN holders privately types one
// half of the SO PIN and one half of the user PIN (twice, to catch typos); the token gets the concatenation.
// No half is ever shown, stored or journaled, and no single person knows either PIN. If the process dies
// between C_InitToken and C_InitPIN, resume finds the token and completes only what is missing.
import { OfficiantError } from '../errors.js';
import { joinSecrets } from '../engine/secret.js';
import type { Person, Secret } from '../engine/ports.js';
import type { StepContext, StepHandler } from './step.types.js';

async function collectHalves(ctx: StepContext<import('../script/schema.js').StepOf<'hsm.init-token'>>, holders: Person[], id: string, label: string): Promise<Secret> {
  const halves: Secret[] = [];
  try {
    for (const holder of holders) {
      halves.push(await ctx.prompter.secret(holder, { stepId: ctx.step.id, id, label, minLength: ctx.step.params.min_half_length, repeat: true }));
      const half = halves[halves.length - 1];
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
  usesHsm: true,
  async run(ctx) {
    const site = ctx.site!;
    const { role, people } = ctx.step.params.pin_holders;
    const holders = ctx.people(role).slice(0, people);
    if (holders.length < people) throw new OfficiantError('ceremony.step-failed', `dual control needs ${people} ${role} people, ${holders.length} checked in`);
    ctx.event('pin-holders', { holders: holders.map((h) => h.name) });

    const hsm = ctx.hsm();
    const existing = hsm.findToken(site.tokenLabel);
    const pins: Secret[] = [];
    try {
      const token = await ctx.effect(
        'hsm.init-token',
        { label: site.tokenLabel, slot: site.slot ?? null, holders: holders.map((h) => h.name) },
        {
          run: async () => {
            if (existing) throw new OfficiantError('env.token-label-used', `a token labelled "${site.tokenLabel}" already exists`);
            const free = hsm.freeSlots();
            const slot = site.slot ?? free[0];
            if (slot === undefined || !free.includes(slot)) throw new OfficiantError('env.no-free-slot', `no uninitialised slot${site.slot === undefined ? '' : ` ${site.slot}`} for token "${site.tokenLabel}"`);
            pins.push(await collectHalves(ctx, holders, 'so-pin-half', 'half of the SO PIN'));
            pins.push(await collectHalves(ctx, holders, 'user-pin-half', 'half of the user PIN'));
            return { ...hsm.initToken(slot, site.tokenLabel, pins[0], pins[1]) };
          },
          reconcile: async () => {
            const found = hsm.findToken(site.tokenLabel);
            if (!found) return undefined;
            if (!hsm.userPinInitialised(site.tokenLabel)) {
              pins.push(await collectHalves(ctx, holders, 'so-pin-half', 'half of the SO PIN'));
              pins.push(await collectHalves(ctx, holders, 'user-pin-half', 'half of the user PIN'));
              hsm.initUserPin(site.tokenLabel, pins[0], pins[1]);
            }
            return { ...found };
          },
        },
        holders[0],
      );
      ctx.setToken(token as never);
      ctx.result('Token label', site.tokenLabel);
      ctx.result('SO PIN', `split in ${people} halves held by ${holders.map((h) => h.name).join(' and ')}; never displayed or stored`);
      ctx.result('User PIN', `split in ${people} halves held by ${holders.map((h) => h.name).join(' and ')}; never displayed or stored`);
    } finally {
      for (const p of pins) p.wipe();
    }
  },
};
