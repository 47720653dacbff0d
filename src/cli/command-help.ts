// What each command's --help ends with, as git and gh do: an example or two, and its exit codes. Words for
// people: kept here, out of the command table in main.ts. Keyed by the command's path ("keyring export").
export const COMMAND_HELP: Record<string, { examples: string[]; exits: string }> = {
  validate: {
    examples: ['officiant validate ceremonies/release-authority-init.yaml'],
    exits: '0 valid (warnings may be printed), 2 problems (each as file:line:col path: message) or a file that cannot be read.',
  },
  plan: {
    examples: ['officiant plan ceremonies/release-authority-init.yaml', 'officiant plan ceremonies/release-authority-init.yaml --pdf plan.pdf'],
    exits: '0 printed (and written), 2 an invalid script, an existing --pdf or a directory that does not exist.',
  },
  run: {
    examples: ['officiant run ceremonies/release-authority-init.yaml --site site.yaml --roster roster.json', 'officiant run ceremonies/manifest-signing.yaml --site site.yaml --roster roster.json --manifest stable-42.draft.json --release <bundle>'],
    exits: '0 completed and sealed, 1 failed or aborted (sealed as it is), 2 bad input (nothing recorded), 3 environment (module, token, permissions), 130 paused (continue with officiant resume <out>).',
  },
  rehearse: {
    examples: ['officiant rehearse ceremonies/officer-enrollment.yaml --out evidence/officers', 'officiant rehearse ceremonies/release-authority-init.yaml --officers evidence/officers --out evidence/init', 'officiant rehearse ceremonies/release-authority-init.yaml --officers evidence/officers --interactive'],
    exits: '0 completed, 1 failed or aborted, 2 bad input, 3 environment, 130 paused.',
  },
  resume: {
    examples: ['officiant resume evidence/release-authority-init-20261205T101500', 'officiant resume <out> --answers answers.yaml'],
    exits: '0 completed (or already sealed: nothing to resume), 1 failed or aborted, 2 bad input, 3 environment, 130 paused again.',
  },
  journal: {
    examples: ['officiant journal evidence/release-authority-init-20261205T101500'],
    exits: '0 the hash chain holds (its head printed), 1 it does not, 2 no journal there.',
  },
  verify: {
    examples: ['officiant verify <packet> --trust <evidence key sha256> --head "<six words from the paper log>"', 'officiant verify <packet> --roster roster.json --json'],
    exits: '0 verified, 1 a check fails (each problem named), 2 not a packet, or a malformed --trust, --head or --roster.',
  },
  export: {
    examples: ['officiant export evidence/* --trust <evidence key sha256> --out audit-2026.zip'],
    exits: '0 written, 1 a packet does not verify or is not pinned (refused unless --include-unverified or --allow-unpinned), 2 bad input or an existing --out.',
  },
  'keyring export': {
    examples: ['officiant keyring export --roster roster.json --out keyring.json', 'officiant keyring export --roster roster-v2.json --previous roster-v1.json --production --attestation-root yubico-piv-ca.pem --out keyring.json'],
    exits: '0 written (its SHA-256 printed, for devices to pin), 2 a roster that does not verify, or an existing --out, 3 a roster file that cannot be read.',
  },
  'release verify': {
    examples: ['officiant release verify out/release-signing.release --trust <release certificate sha256>'],
    exits: '0 every check holds, 1 a check fails (each problem named), 2 no such directory, not a release bundle, or a malformed --trust.',
  },
  schema: {
    examples: ['officiant schema > ceremony-script.schema.json', 'officiant schema --write'],
    exits: '0 printed or written, 3 the file cannot be written.',
  },
};

export function commandHelpText(path: string): string | undefined {
  const h = COMMAND_HELP[path];
  return h ? `\nExample${h.examples.length > 1 ? 's' : ''}:\n${h.examples.map((e) => `  ${e}`).join('\n')}\n\nExit codes: ${h.exits}` : undefined;
}
