// The officiant command. One try/catch: an OfficiantError prints its message, details and a hint, and exits
// with its family's code (0 done, 1 ceremony failed/aborted, 2 bad input, 3 environment, 130 interrupted).
// Anything else is a bug: one line, exit 1, stack only with OFFICIANT_DEBUG=1. Commands are imported lazily so
// `officiant --help` does not load PKCS#11 or PDF code.
import { Command } from 'commander';
import { exitCodeFor, OfficiantError } from '../errors.js';
import { HINTS, shownDetails } from './messages.js';
import { commandHelpText } from './command-help.js';

const print = (l: string) => process.stdout.write(`${l}\n`);

// `officiant plan x | head`: a reader that stops early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('officiant')
    .description('Key-ceremony orchestration: run reviewed ceremony scripts on an HSM, leave evidence for auditors.')
    .version('0.1.0')
    // `officiant --version` is Officiant's; after a command, --version is that command's (request create).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', '\nExit codes: 0 done, 1 ceremony failed or aborted, 2 bad input, 3 environment (module, token, permissions), 130 interrupted/paused.');

  program
    .command('validate')
    .argument('<script>', 'ceremony script (YAML)')
    .description('check a ceremony script; every problem as file:line:col path: message (the first 50, then a count)')
    .action(async (script: string) => {
      const { validateCommand } = await import('./commands/validate.js');
      code = validateCommand(script, print);
    });
  program
    .command('plan')
    .argument('<script>', 'ceremony script (YAML)')
    .description('print the ceremony as a numbered script: who does what, in which order')
    .option('--pdf <file>', 'also write the printable script (PDF) to review and bring')
    .action(async (script: string, opts: { pdf?: string }) => {
      const { planCommand } = await import('./commands/validate.js');
      code = await planCommand(script, print, opts);
    });
  const siteOptions = (c: Command) =>
    c
      .option('--site <file>', 'site file mapping the script\'s HSM profile to a module and token label')
      .option('--module <path>', 'PKCS#11 module path (overrides the site file)')
      .option('--token-label <label>', 'token label (overrides the site file)')
      .option('--slot <id>', 'slot id for hsm.init-token when the HSM has several free slots');
  const releaseOptions = (cmd: Command) =>
    cmd
      .option('--request <file>', 'release signing: the signing request (officiant request create)')
      .option('--policy <file>', "release signing: the signed policy (a policy ceremony's outputs/policy.json); policy ceremony: the draft to adopt")
      .option('--artifacts <dir>', 'release signing: where the requested artifacts are (default: the request file\'s directory)')
      .option('--staging <dir>', 'release signing: a new directory for the staged copies and signatures (default: <out>.staging)')
      .option('--bundle <dir>', 'release signing: where the release bundle is written (default: <out>.release)');
  siteOptions(
    program
      .command('run')
      .argument('<script>', 'ceremony script (YAML)')
      .description('run a ceremony, guided at the keyboard (or from --answers)')
      .option('--out <dir>', 'output directory for journal, outputs and evidence (default evidence/<id>-<time>)')
      .option('--answers <file>', 'non-interactive: answers file (secrets as ${ENV_VAR} references)')
      .option('--roster <file>', 'the officer roster (roster.json from an enrollment ceremony), for scripts whose officers check in or approve by token')
      .option('--backup <dir>', 'for restore and re-share: the backup set (the directory holding backup/manifest.json, backup/*.wrapped and shares/)')
      .option('--manifest <draft.json>', 'manifest signing: the unsigned manifest (officiant manifest draft)')
      .option('--release <bundle>', "manifest signing: a release bundle the manifest's targets come from (repeat for more); each must verify against the site file's manifest_authority.release_certificate", (v: string, all: string[] = []) => [...all, v])
      .option('--signing-plan <plan.json>', "Android signing window: the signing plan the officers approve (keys, budgets, commands, time limit)"),
  );
  releaseOptions(program.commands[program.commands.length - 1]).action(async (script: string, opts) => {
    const { runCommand } = await import('./commands/ceremony.js');
    code = await runCommand(script, opts, print);
  });
  program
    .command('rehearse')
    .argument('<script>', 'ceremony script (YAML)')
    .description('run the whole ceremony automatically on a throwaway SoftHSM with simulated people')
    .option('--out <dir>', 'output directory (default evidence/<id>-<time>)')
    .option('--officers <dir>', "an enrollment rehearsal's output directory: its roster and its simulated officers' tokens take part")
    .option('--interactive', 'people answer at the keyboard (a dry run for them), on simulated hardware')
    .option('--from <dir>', "a rehearsed ceremony's output directory: restore or re-share the backup it made, or sign a release with the authority it initialised, with its officers' simulated tokens")
    .option('--manifest <draft.json>', 'manifest signing: the unsigned manifest (officiant manifest draft)')
    .option('--release <bundle>', "manifest signing: a release bundle the manifest's targets come from (repeat for more); the first one's authority.pem is the pinned release certificate", (v: string, all: string[] = []) => [...all, v])
    .option('--signing-plan <plan.json>', "Android signing window: the signing plan the officers approve (keys, budgets, commands, time limit)");
  releaseOptions(program.commands[program.commands.length - 1])
    .action(async (script: string, opts) => {
      const { rehearseCommand } = await import('./commands/ceremony.js');
      code = await rehearseCommand(script, opts, print);
    });
  program
    .command('resume')
    .argument('<out>', 'output directory of an interrupted ceremony')
    .description('continue a paused or interrupted ceremony from its journal')
    .option('--answers <file>', 'non-interactive: answers file')
    .option('--backup <dir>', 'restore, re-share, share verification: where the backup set is now, if it moved (it must be the same)')
    .action(async (out: string, opts) => {
      const { resumeCommand } = await import('./commands/ceremony.js');
      code = await resumeCommand(out, opts, print);
    });
  program
    .command('journal')
    .argument('<out>', 'output directory of a ceremony')
    .description('check a ceremony journal\'s hash chain (read-only) and print its head hash')
    .action(async (out: string) => {
      const { journalCommand } = await import('./commands/journal.js');
      code = journalCommand(out, print);
    });
  program
    .command('verify')
    .argument('<dir>', 'evidence packet: a sealed ceremony output directory')
    .description('check an evidence packet offline: manifest, signatures, journal chain, pages, outputs')
    .option('--trust <cert.pem|sha256>', 'require this evidence key: its certificate (PEM file) or SHA-256 fingerprint')
    .option('--head <hex|words>', 'require this journal head, as written on the paper log: 64 hex digits or its six words (quoted)')
    .option('--roster <roster.json|sha256>', 'require this officer roster (or a later version of it, which then shows who was revoked before the ceremony)')
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, opts) => {
      const { verifyCommand } = await import('./commands/verify.js');
      code = verifyCommand(dir, opts, print);
    });
  program
    .command('export')
    .argument('<dir...>', 'evidence packets: sealed ceremony output directories')
    .description('one zip for compliance: every packet unchanged, index.csv/index.json of every journal event, compliance.csv')
    .requiredOption('--out <file.zip>', 'the archive to write (an existing file is refused)')
    .option('--include-unverified', 'include packets that do not verify, marked as such (default: refuse them)')
    .option('--trust <cert.pem|sha256>', 'an evidence key you compared out of band: its certificate (PEM file) or SHA-256 fingerprint; once per key', (v: string, all: string[] = []) => [...all, v])
    .option('--trust-file <file>', 'evidence key fingerprints you trust, one per line (# comments allowed)')
    .option('--allow-unpinned', 'include packets whose evidence key you did not pin, marked as such (default: refuse them)')
    .action(async (dirs: string[], opts) => {
      const { exportCommand } = await import('./commands/export.js');
      code = exportCommand(dirs, opts, print);
    });
  const keyring = program.command('keyring').description('the manifest-signing keyring the officer roster carries');
  keyring
    .command('export')
    .description('verify roster.json and write its keyring (the 9c keys of the active officers, as the officers signed it)')
    .requiredOption('--roster <file>', 'roster.json written by roster.sign')
    .requiredOption('--out <file>', 'the keyring to write (an existing file is refused)')
    .option('--production', 'refuse simulated devices and attestation roots not given with --attestation-root')
    .option('--previous <roster-file>', 'the roster this one replaces; repeat from version 1 onwards, in order', (v: string, all?: string[]) => [...(all ?? []), v])
    .option('--attestation-root <cert.pem|sha256>', 'a trusted vendor attestation root (production); repeatable', (v: string, all?: string[]) => [...(all ?? []), v])
    .action(async (opts) => {
      const { keyringExportCommand } = await import('./commands/keyring.js');
      code = keyringExportCommand(opts, print);
    });
  const request = program.command('request').description('signing requests, made by the release pipeline outside the trust boundary');
  request
    .command('create')
    .description('hash the artifacts and write a signing request (an in-toto Statement) for the release authority')
    .argument('<artifacts...>', 'each artifact as <file>:<kind> (image, ota-payload, ota-package, vbmeta, apk, apex, release-artifact)')
    .requiredOption('--authority <authority>', 'the authority asked to sign: release')
    .requiredOption('--out <file>', 'the request to write (an existing file is refused)')
    .option('--build-id <id>', 'the build that made the artifacts')
    .option('--source-revision <rev>', 'the source revision they were built from')
    .option('--channel <channel>', 'the release channel (default: stable)')
    .option('--version <n>', 'the release version: a whole number that only goes up per channel (default: 1)')
    .option('--not-after <time|24h|7d>', 'when the request expires (default: 24h)')
    .addHelpText('after', '\nExample:\n  officiant request create --authority release --channel stable --version 42 --build-id ci-1234 \\\n    --out request.json out/system.img:image out/vbmeta.img:vbmeta out/Settings.apk:apk\n\nExit codes: 0 written, 2 a problem with the arguments or the files (every problem listed, nothing written).')
    .action(async (artifacts: string[], opts) => {
      const { requestCreateCommand } = await import('./commands/request.js');
      code = requestCreateCommand(artifacts, opts, print);
    });
  const policy = program.command('policy').description("release signing policies: the draft people review before the policy ceremony adopts it");
  policy
    .command('draft')
    .description('write a release policy draft for review; the checks the policy ceremony makes on a draft run first')
    .requiredOption('--authority <authority>', 'the authority the policy governs: release')
    .requiredOption('--certificate <cert.pem>', "the authority's certificate (the initialisation's outputs/<label>.cert.pem): the key's SPKI SHA-256 is read from it")
    .requiredOption('--label <label>', "the signing key's label (release-root-2026)")
    .requiredOption('--kinds <kind,...>', 'what the key may sign: image, ota-payload, ota-package, vbmeta, apk, apex, release-artifact')
    .requiredOption('--out <file>', 'the draft to write (an existing file is refused)')
    .option('--algorithm <alg>', "RSA-PKCS1-SHA256 or ECDSA-SHA256 (default: the certificate's key decides)")
    .option('--approvals <role:count>', 'officers of a roster role who approve each release, at least 2 (default: crypto-officer:3)')
    .option('--max-artifacts <n>', 'most artifacts in one request (default: 1000)')
    .option('--max-bytes <n>', 'most bytes in one request, or with KiB, MiB, GiB, TiB (default: 64GiB)')
    .option('--max-request-age-hours <n>', 'oldest request a session signs, in hours (default: 24)')
    .option('--expires <time|90d>', 'when the policy expires: a time or a duration from now (default: 90d)')
    .option('--previous <policy.json>', 'the adopted policy this one replaces (its outputs/policy.json): version and previous_sha256 follow it')
    .option('--require-builder-signature', 'a request must be a DSSE envelope signed by one of the --builder-key keys')
    .option('--builder-key <pem>', 'a build pipeline key (PEM public key or certificate); repeatable', (v: string, all: string[] = []) => [...all, v])
    .option('--deny <pem>', 'a key no release may be signed by or carry, besides the AOSP and AVB test keys (PEM public key or certificate); repeatable', (v: string, all: string[] = []) => [...all, v])
    .addHelpText(
      'after',
      '\nExample:\n  officiant policy draft --authority release --certificate release-root-2026.cert.pem --label release-root-2026 \\\n    --kinds image,vbmeta,apk --approvals crypto-officer:3 --expires 90d --out policy-draft.json\n  then adopt it: officiant run ceremonies/release-policy.yaml --roster roster.json --policy policy-draft.json\n\nExit codes: 0 written, 2 a problem with the arguments or the files (every problem listed, nothing written), 3 a file could not be read.',
    )
    .action(async (opts) => {
      const { policyDraftCommand } = await import('./commands/policy.js');
      code = policyDraftCommand(opts, print);
    });
  const release = program.command('release').description('release bundles: what the release authority\'s signing ceremony writes');
  release
    .command('verify')
    .argument('<bundle>', 'the bundle directory: request.json, authority.pem, artifacts/, signatures/, release.json, release.json.sig')
    .description('check a release bundle offline against the authority you trust: certificate, signatures, statement, request, every artifact, no stray file')
    .requiredOption('--trust <cert.pem|sha256>', "the release authority's certificate (PEM file) or its SHA-256 fingerprint, compared out of band")
    .option('--json', 'print the report as JSON')
    .action(async (bundle: string, opts) => {
      const { releaseVerifyCommand } = await import('./commands/release.js');
      code = releaseVerifyCommand(bundle, opts, print);
    });
  const manifest = program.command('manifest').description("OTA manifests: signed by a threshold of the manifest authority's officers (their PIV 9c keys)");
  const collect = (v: string, all: string[] = []) => [...all, v];
  manifest
    .command('draft')
    .description('prepare the unsigned OTA manifest for the manifest signing ceremony, from release bundles verified against the pinned release authority')
    .requiredOption('--channel <channel>', 'the update channel, e.g. stable')
    .requiredOption('--version <n>', 'the manifest version: above the last one signed for the channel')
    .requiredOption('--expires <time|duration>', 'when devices stop taking it: 2027-01-31T00:00:00Z, or 30d, 720h from now')
    .requiredOption('--device <family>', 'a device family the manifest is for (repeat for more)', collect)
    .requiredOption('--release <bundle>', 'a release bundle whose artifacts become targets (repeat for more)', collect)
    .requiredOption('--trust <cert.pem|sha256>', "the release authority's certificate (PEM file) or its SHA-256 fingerprint: every bundle must verify against it")
    .requiredOption('--out <manifest.json>', 'where to write the draft (must not exist)')
    .addHelpText(
      'after',
      '\nExample:\n  officiant manifest draft --channel stable --version 42 --expires 30d --device oriole \\\n    --release out/release-signing.release --trust <release cert sha256> --out stable-42.draft.json\n\nExit codes: 0 written, 2 a flag, a bundle that cannot be read or does not verify, or an existing --out (every problem listed, nothing written).',
    )
    .action(async (opts) => {
      const { manifestDraftCommand } = await import('./commands/manifest-draft.js');
      code = manifestDraftCommand(opts, print);
    });
  manifest
    .command('verify')
    .argument('<manifest>', 'the OTA manifest (JSON: signed, signatures)')
    .description('check an OTA manifest offline against the pinned keyring: a threshold of distinct keyring keys, expiry, channel, no rollback')
    .requiredOption('--keyring <keyring.json>', 'the manifest keyring (officiant keyring export)')
    .option('--keyring-sha256 <sha256>', 'pin the keyring: the keyring sha256 `officiant keyring export` printed (its payload_sha256)')
    .option('--previous <manifest>', 'the manifest trusted until now for this channel: the version must not go below it')
    .option('--channel <channel>', 'the channel the manifest must be for')
    .option('--device <family>', 'a device family the manifest must list')
    .option('--now <time>', 'check expiry at this time, e.g. 2026-06-01T00:00:00Z (default: now)')
    .option('--production', 'refuse a rehearsal keyring (simulated devices)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  officiant manifest verify stable-42.json --keyring keyring.json --keyring-sha256 <keyring sha256> \\\n    --previous stable-41.json --channel stable --device oriole\n\nExit codes: 0 every check holds, 1 a check fails (each problem named), 2 a file that cannot be read, is too large or is not JSON, or a malformed flag (every one listed).',
    )
    .action(async (path: string, opts) => {
      const { manifestVerifyCommand } = await import('./commands/manifest.js');
      code = manifestVerifyCommand(path, opts, print);
    });
  program
    .command('window')
    .description("the signing window of a session's android.sign-window step")
    .command('close')
    .description('close the open signing window (the operator confirms the tools have finished); later requests are refused')
    .option('--socket <path>', 'the window\'s socket (default: $OFFICIANT_SIGNING_WINDOW)')
    .addHelpText('after', '\nExample:\n  OFFICIANT_SIGNING_WINDOW=<out>/signing-window.sock officiant window close\n\nExit codes: 0 closed, 3 no window is open there.')
    .action(async (opts: { socket?: string }) => {
      const { windowCloseCommand } = await import('./commands/window.js');
      code = await windowCloseCommand(opts, print);
    });
  program
    .command('schema')
    .description('print the JSON Schema of ceremony scripts (for editor completion)')
    .option('--write', 'write it to schema/ceremony-script.schema.json in the checkout')
    .action(async (opts) => {
      const { schemaCommand } = await import('./commands/schema.js');
      code = schemaCommand(opts, print);
    });

  // Every command's help ends with examples and its exit codes (command-help.ts), unless it carries its own.
  const withHelp = (c: Command, prefix: string) => {
    for (const sub of c.commands) {
      const path = prefix ? `${prefix} ${sub.name()}` : sub.name();
      const text = commandHelpText(path);
      if (text) sub.addHelpText('after', text);
      withHelp(sub, path);
    }
  };
  withHelp(program, '');
  // `officiant` alone is a usage slip, not a success: the help, on stderr, exit 2 (as git and gh do).
  if (argv.length <= 2) {
    process.stderr.write(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    const ce = err as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
      return ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' || ce.code === 'commander.help' ? 0 : 2;
    }
    if (err instanceof OfficiantError) {
      process.stderr.write(`officiant: ${err.message}\n`);
      for (const d of shownDetails(err.details)) process.stderr.write(`${d}\n`);
      const hint = HINTS[err.code];
      if (hint) process.stderr.write(`hint: ${hint}\n`);
      return exitCodeFor(err);
    }
    process.stderr.write(`officiant: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (process.env.OFFICIANT_DEBUG === '1') process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Every command has finished its work and closed what it opened when it returns; what is left is the
    // runtime's own tidying (a pending garbage collection), about 20 ms of every short command such as verify.
    // Output not yet flushed (a pipe on some systems) is never cut: then the process ends by itself.
    if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`officiant: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
