// parseScript reports every problem of a ceremony script at once, each as `file:line:col path: message`.
// Every row starts from TEMPLATE (valid, no warnings) and changes a few lines; the expected positions are
// counted by hand on the edited text (line and column are 1-based; the column is where the value, or for
// an unknown or missing key the key, starts).
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/script/parse.js';
import { parseScript } from '../../../src/script/rules.js';

const FILE = 'mini.yaml';

// Line numbers are part of the expectations below: do not reflow.
const TEMPLATE = `id: mini-ceremony
title: Mini ceremony
version: 1
authority: release
site:
  hsm: test-hsm
roles:
  admin:
    title: Administrator
    people: 1
  officer:
    title: Crypto Officer
    people: 2
  witness:
    title: Witness
    people: 1
steps:
  - id: check-in
    kind: participants.check-in
    title: Check in
    instructions: Everyone shows an identity document.
    perform: admin
    witness: [witness]
  - id: seal
    kind: manual.confirm
    title: Seal checked
    instructions: Read the seal serial aloud.
    perform: admin
    witness: [witness]
    params:
      confirm_by: admin
      record:
        - id: seal-serial
          label: Seal serial
          pattern: "[A-Z]{2}-[0-9]{4}"
          example: TB-0042
  - id: init
    kind: hsm.init-token
    title: Initialise token
    instructions: Officers type their PIN halves.
    perform: officer
    witness: [witness]
    params:
      pin_holders:
        role: officer
        people: 2
  - id: generate
    kind: hsm.generate-key
    title: Generate key
    instructions: Generate the root key.
    perform: officer
    witness: [witness]
    on_failure: abort
    params:
      label: root-key
      algorithm: EC-P256
      authority: release
      purpose: test root
  - id: inspect
    kind: hsm.inspect-key
    title: Inspect key
    instructions: Read the key back.
    perform: admin
    witness: [witness]
    sign_off: [officer]
    params:
      key: root-key
  - id: certify
    kind: hsm.self-signed-certificate
    title: Root certificate
    instructions: Issue the root certificate.
    perform: officer
    witness: [witness]
    params:
      key: root-key
      subject:
        CN: Test Root
      validity_days: 365
`;

/** [line of TEMPLATE, text on that line, replacement]; a replacement may add lines, an emptied line is removed. */
type Change = [line: number, from: string, to: string];

function edit(changes: Change[], append = ''): string {
  const lines = TEMPLATE.replace(/\n$/, '').split('\n');
  for (const [line, from, to] of [...changes].sort((a, b) => b[0] - a[0])) {
    const current = lines[line - 1];
    if (current === undefined || !current.includes(from)) throw new Error(`TEMPLATE line ${line} is ${JSON.stringify(current)}, not ${JSON.stringify(from)}`);
    const next = current.replace(from, to);
    lines.splice(line - 1, 1, ...(next.trim() === '' ? [] : next.split('\n')));
  }
  return `${lines.join('\n')}\n${append}`;
}

// Appended after line 78, so their first line is line 79 and they are steps[6].
const generateStep = (label: string) => `  - id: generate-more
    kind: hsm.generate-key
    title: Generate another key
    instructions: Generate a second key.
    perform: officer
    on_failure: abort
    params:
      label: ${label}
      algorithm: EC-P384
      authority: release
      purpose: second key
`;
const checkInStep = (perform: string) => `  - id: check-in-again
    kind: participants.check-in
    title: Check in again
    instructions: Everyone checks in again.
    perform: ${perform}
`;
const initTokenStep = `  - id: init-again
    kind: hsm.init-token
    title: Initialise again
    instructions: Officers type their PIN halves again.
    perform: officer
    params:
      pin_holders:
        role: officer
        people: 2
`;

// Composable changes to TEMPLATE (by TEMPLATE line, like every other change).
/** A fourth role, with 2 people, after line 16: later lines move down by 3; its key is at line 17. */
const AUDITOR_ROLE: Change = [16, 'people: 1', 'people: 1\n  auditor:\n    title: Auditor\n    people: 2'];
/** The check-in step lists the roles it checks in, after line 23: later lines move down by 2. */
const checkInRoles = (roles: string): Change => [23, 'witness: [witness]', `witness: [witness]\n    params:\n      roles: [${roles}]`];
/** Who activates an existing token, after line 6: later lines move down by 3 (pin_holders at 7, role 8, people 9). */
const sitePinHolders = (role: string): Change => [6, '  hsm: test-hsm', `  hsm: test-hsm\n  pin_holders:\n    role: ${role}\n    people: 2`];
/** Removes TEMPLATE lines from..to (inclusive): later lines move up. */
const removeLines = (from: number, to: number): Change[] =>
  TEMPLATE.split('\n')
    .slice(from - 1, to)
    .map((text, k): Change => [from + k, text, '']);
/** Without the hsm.init-token step (lines 37-46): later lines move up by 10, generate is steps[2]. */
const NO_INIT_TOKEN = removeLines(37, 46);

const ID_FORMAT = 'must be lowercase letters, digits and dashes, starting with a letter';
const PIN_HOLDERS_REQUIRED = 'is required when no step initialises the token: the script names the 2 people who split its user PIN';
const PIN_HOLDERS_FORBIDDEN = 'must not be set when steps[2] initialises the token: its params.pin_holders hold the PINs';
const notCheckedIn = (role: string) => `role "${role}" is not checked in by steps[0]`;
const NO_HSM = 'an hsm step needs site.hsm: the HSM profile the ceremony uses';
const RETRY_WARNING = 'a retried key generation is recorded as a deviation; consider on_failure: abort for root keys';

interface Row {
  name: string;
  yaml: string;
  errors: string[];
  warnings?: string[];
}

const at = (line: number, col: number, path: string, message: string) => `${FILE}:${line}:${col} ${path}: ${message}`;

const schemaRows: Row[] = [
  {
    name: 'unknown key at top level',
    yaml: edit([[4, 'authority: release', 'authority: release\ncolour: blue']]),
    errors: [at(5, 1, 'colour', 'unknown key')],
  },
  {
    name: 'unknown key in a role',
    yaml: edit([[10, 'people: 1', 'people: 1\n    colour: blue']]),
    errors: [at(11, 5, 'roles.admin.colour', 'unknown key')],
  },
  {
    name: 'unknown keys in a step, each reported',
    yaml: edit([[23, 'witness: [witness]', 'witness: [witness]\n    colour: blue\n    size: 3']]),
    errors: [at(24, 5, 'steps[0].colour', 'unknown key'), at(25, 5, 'steps[0].size', 'unknown key')],
  },
  {
    name: 'unknown key in params',
    yaml: edit([[31, 'confirm_by: admin', 'confirm_by: admin\n      colour: blue']]),
    errors: [at(32, 7, 'steps[1].params.colour', 'unknown key')],
  },
  {
    name: 'unknown key nested in params',
    yaml: edit([[46, 'people: 2', 'people: 2\n        colour: blue']]),
    errors: [at(47, 9, 'steps[2].params.pin_holders.colour', 'unknown key')],
  },
  {
    name: 'missing required top-level field',
    yaml: edit([[3, 'version: 1', '']]),
    errors: [at(1, 1, 'version', 'is required')],
  },
  {
    name: 'missing required step field',
    yaml: edit([[20, 'title: Check in', '']]),
    errors: [at(18, 5, 'steps[0].title', 'is required')],
  },
  {
    name: 'missing required params field',
    yaml: edit([[31, 'confirm_by: admin', '']]),
    errors: [at(31, 7, 'steps[1].params.confirm_by', 'is required')],
  },
  {
    name: 'wrong type: string for a number',
    yaml: edit([[3, 'version: 1', 'version: one']]),
    errors: [at(3, 10, 'version', 'must be a number, got a string')],
  },
  {
    name: 'wrong type: quoted number in params',
    yaml: edit([[78, 'validity_days: 365', 'validity_days: "365"']]),
    errors: [at(78, 22, 'steps[5].params.validity_days', 'must be a number, got a string')],
  },
  {
    name: 'wrong type: string for a list',
    yaml: edit([[23, '[witness]', 'witness']]),
    errors: [at(23, 14, 'steps[0].witness', 'must be an array, got a string')],
  },
  {
    name: 'wrong type: null for a string',
    yaml: edit([[2, 'title: Mini ceremony', 'title:']]),
    errors: [at(2, 7, 'title', 'must be a string, got null')],
  },
  {
    name: 'bad enum: script authority',
    yaml: edit([[4, 'release', 'both']]),
    errors: [at(4, 12, 'authority', 'must be one of: release, manifest')],
  },
  {
    name: 'bad enum: key algorithm',
    yaml: edit([[56, 'EC-P256', 'DSA-1024']]),
    errors: [at(56, 18, 'steps[3].params.algorithm', 'must be one of: RSA-3072, RSA-4096, EC-P256, EC-P384')],
  },
  {
    name: 'bad enum: on_failure',
    yaml: edit([[53, 'abort', 'later']]),
    errors: [at(53, 17, 'steps[3].on_failure', 'must be one of: retry, abort')],
  },
  {
    name: 'missing enum: script authority is required, not "one of"',
    yaml: edit([[4, 'authority: release', '']]),
    errors: [at(1, 1, 'authority', 'is required')],
  },
  {
    name: 'missing enum in params: key algorithm is required, not "one of"',
    yaml: edit([[56, 'algorithm: EC-P256', '']]),
    errors: [at(55, 7, 'steps[3].params.algorithm', 'is required')],
  },
  {
    name: 'unknown step kind',
    yaml: edit([[25, 'manual.confirm', 'manual.dance']]),
    errors: [at(25, 11, 'steps[1].kind', 'unknown step kind "manual.dance"')],
  },
  {
    name: 'missing step kind',
    yaml: edit([[25, 'kind: manual.confirm', '']]),
    errors: [at(24, 5, 'steps[1].kind', 'is required')],
  },
  {
    name: 'bad id format: script id',
    yaml: edit([[1, 'mini-ceremony', '1-mini']]),
    errors: [at(1, 5, 'id', ID_FORMAT)],
  },
  {
    name: 'bad id format: step id',
    yaml: edit([[24, 'seal', 'Seal_1']]),
    errors: [at(24, 9, 'steps[1].id', ID_FORMAT)],
  },
  {
    name: 'bad id format: role id (a mapping key, reported at the key); the steps naming "admin" now name an unknown role',
    yaml: edit([[8, 'admin:', 'Admin_1:']]),
    errors: [
      at(8, 3, 'roles.Admin_1', ID_FORMAT),
      at(22, 14, 'steps[0].perform', 'unknown role "admin"'),
      at(28, 14, 'steps[1].perform', 'unknown role "admin"'),
      at(31, 19, 'steps[1].params.confirm_by', 'unknown role "admin"'),
      at(63, 14, 'steps[4].perform', 'unknown role "admin"'),
    ],
  },
  {
    name: 'no steps',
    yaml: `${TEMPLATE.split('\n').slice(0, 16).join('\n')}\nsteps: []\n`,
    errors: [at(17, 8, 'steps', 'a ceremony needs at least one step')],
  },
  {
    name: 'pin_holders.people below 2 (dual control)',
    yaml: edit([[46, 'people: 2', 'people: 1']]),
    errors: [at(46, 17, 'steps[2].params.pin_holders.people', 'dual control needs at least 2 people')],
  },
  {
    name: 'pin_holders.people above 2',
    yaml: edit([[46, 'people: 2', 'people: 3']]),
    errors: [at(46, 17, 'steps[2].params.pin_holders.people', 'PINs are split in two halves: exactly 2 people')],
  },
  {
    name: 'YAML syntax error: duplicate key',
    yaml: edit([[20, 'title: Check in', 'title: Check in\n    title: Check-in']]),
    errors: [at(21, 5, '(syntax)', 'map keys must be unique')],
  },
  {
    name: 'unresolved YAML alias: reported at the alias, without its name',
    yaml: edit([[2, 'Mini ceremony', '*nope']]),
    errors: [at(2, 8, 'title', 'unresolved YAML alias')],
  },
  {
    name: 'YAML alias before its anchor, inside a step, each reported',
    yaml: edit([
      [22, 'admin', '*who'],
      [28, 'admin', '&who admin'],
      [31, 'admin', '*nobody'],
    ]),
    errors: [at(22, 14, 'steps[0].perform', 'unresolved YAML alias'), at(31, 19, 'steps[1].params.confirm_by', 'unresolved YAML alias')],
  },
  {
    name: 'YAML alias after its anchor is the anchored value',
    yaml: edit([
      [22, 'admin', '&who admin'],
      [28, 'admin', '*who'],
      [31, 'admin', '*who'],
    ]),
    errors: [],
  },
  {
    name: 'YAML aliases expanding exponentially',
    yaml: edit(
      [],
      `laughs:\n  a: &a [x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    ),
    errors: [at(1, 1, '(root)', 'too many YAML alias expansions')],
  },
];

const ruleRows: Row[] = [
  {
    name: 'duplicate step id',
    yaml: edit([[37, 'init', 'seal']]),
    errors: [at(37, 9, 'steps[2].id', 'duplicate step id "seal" (first used by steps[1])')],
  },
  {
    name: 'unknown role in perform',
    yaml: edit([[22, 'admin', 'nobody']]),
    errors: [at(22, 14, 'steps[0].perform', 'unknown role "nobody"')],
  },
  {
    name: 'unknown role in witness',
    yaml: edit([[23, '[witness]', '[witness, nobody]']]),
    errors: [at(23, 24, 'steps[0].witness[1]', 'unknown role "nobody"')],
  },
  {
    name: 'unknown role in sign_off',
    yaml: edit([[65, '[officer]', '[nobody]']]),
    errors: [at(65, 16, 'steps[4].sign_off[0]', 'unknown role "nobody"')],
  },
  {
    name: 'unknown role in params.confirm_by',
    yaml: edit([[31, 'admin', 'nobody']]),
    errors: [at(31, 19, 'steps[1].params.confirm_by', 'unknown role "nobody"')],
  },
  {
    name: 'unknown role in params.pin_holders.role',
    yaml: edit([[45, 'officer', 'nobody']]),
    errors: [at(45, 15, 'steps[2].params.pin_holders.role', 'unknown role "nobody"')],
  },
  {
    name: 'unknown role in check-in params.roles',
    yaml: edit([[23, 'witness: [witness]', 'witness: [witness]\n    params:\n      roles: [admin, officer, witness, nobody]']]),
    errors: [at(25, 40, 'steps[0].params.roles[3]', 'unknown role "nobody"')],
  },
  {
    name: 'pin holders needed exceed the role\'s people',
    yaml: edit([[45, 'officer', 'admin']]),
    errors: [at(46, 17, 'steps[2].params.pin_holders.people', 'needs 2 people in role "admin" but the role has 1')],
  },
  {
    name: 'release script generating a manifest key',
    yaml: edit([[57, 'release', 'manifest']]),
    errors: [at(57, 18, 'steps[3].params.authority', 'a release script cannot generate manifest keys')],
  },
  {
    name: 'manifest script generating a release key',
    yaml: edit([[4, 'release', 'manifest']]),
    errors: [at(57, 18, 'steps[3].params.authority', 'a manifest script cannot generate release keys')],
  },
  {
    name: 'inspect-key of a key no step generates',
    yaml: edit([[67, 'root-key', 'other-key']]),
    errors: [at(67, 12, 'steps[4].params.key', 'key "other-key" is not generated by an earlier step')],
  },
  {
    name: 'self-signed-certificate for a key no step generates',
    yaml: edit([[75, 'root-key', 'other-key']]),
    errors: [at(75, 12, 'steps[5].params.key', 'key "other-key" is not generated by an earlier step')],
  },
  {
    name: 'inspect-key and self-signed-certificate of a key generated later',
    yaml: edit([[67, 'root-key', 'late-key'], [75, 'root-key', 'late-key']], generateStep('late-key')),
    errors: [
      at(67, 12, 'steps[4].params.key', 'key "late-key" is not generated by an earlier step'),
      at(75, 12, 'steps[5].params.key', 'key "late-key" is not generated by an earlier step'),
    ],
  },
  {
    name: 'duplicate generated key label',
    yaml: edit([], generateStep('root-key')),
    errors: [at(86, 14, 'steps[6].params.label', 'key label "root-key" is already generated by steps[3]')],
  },
  {
    name: 'first step is not participants.check-in',
    yaml: edit([
      [19, 'participants.check-in', 'manual.confirm'],
      [23, 'witness: [witness]', 'witness: [witness]\n    params:\n      confirm_by: admin'],
    ]),
    errors: [at(19, 11, 'steps[0].kind', 'the first step must be participants.check-in (or room.preflight, then participants.check-in): every later step names people who checked in')],
  },
  {
    name: 'room.preflight first, then the check-in: valid',
    yaml: edit([[18, '  - id: check-in', '  - id: room\n    kind: room.preflight\n    title: Check the laptop\n    instructions: The administrator reads the reference clock.\n    perform: admin\n    witness: [witness]\n' + '  - id: check-in']]),
    errors: [],
  },
  {
    name: 'room.preflight after the check-in',
    yaml: edit([], '  - id: room\n    kind: room.preflight\n    title: Check the laptop\n    instructions: The administrator reads the reference clock.\n    perform: admin\n    witness: [witness]\n'),
    errors: [at(80, 11, 'steps[6].kind', 'room.preflight checks the laptop before anyone checks in: it must be the first step')],
  },
  {
    name: 'room.preflight first, then no check-in',
    yaml: edit([
      [18, '  - id: check-in', '  - id: room\n    kind: room.preflight\n    title: Check the laptop\n    instructions: The administrator reads the reference clock.\n    perform: admin\n    witness: [witness]\n' + '  - id: check-in'],
      [19, 'participants.check-in', 'manual.confirm'],
      [23, 'witness: [witness]', 'witness: [witness]\n    params:\n      confirm_by: admin'],
    ]),
    errors: [at(25, 11, 'steps[1].kind', 'the step after room.preflight must be participants.check-in: every later step names people who checked in')],
  },
  {
    name: 'two check-in steps',
    yaml: edit([], checkInStep('admin')),
    errors: [at(80, 11, 'steps[6].kind', 'participants are already checked in by an earlier step')],
  },
  {
    name: 'two init-token steps',
    yaml: edit([], initTokenStep),
    errors: [at(80, 11, 'steps[6].kind', 'the token is already initialised by an earlier step')],
  },
  {
    name: 'hsm steps without site.hsm, each reported',
    yaml: edit([
      [5, 'site:', 'site: {}'],
      [6, '  hsm: test-hsm', '# no hsm profile'],
    ]),
    errors: [at(38, 11, 'steps[2].kind', NO_HSM), at(48, 11, 'steps[3].kind', NO_HSM), at(60, 11, 'steps[4].kind', NO_HSM), at(69, 11, 'steps[5].kind', NO_HSM)],
  },
  {
    name: 'invalid regex pattern',
    yaml: edit([[35, '"[A-Z]{2}-[0-9]{4}"', '"[A-Z"']]),
    errors: [at(35, 20, 'steps[1].params.record[0].pattern', 'is not a valid regular expression')],
  },
  {
    name: 'example not matching the pattern',
    yaml: edit([[36, 'TB-0042', 'tb-0042']]),
    errors: [at(36, 20, 'steps[1].params.record[0].example', 'does not match pattern /[A-Z]{2}-[0-9]{4}/')],
  },
  {
    name: 'example matching only part of the pattern\'s value',
    yaml: edit([[36, 'TB-0042', 'TB-00421']]),
    errors: [at(36, 20, 'steps[1].params.record[0].example', 'does not match pattern /[A-Z]{2}-[0-9]{4}/')],
  },
  {
    name: 'example matching one alternative only as a prefix',
    yaml: edit([
      [35, '"[A-Z]{2}-[0-9]{4}"', '"TB-[0-9]{4}|XX"'],
      [36, 'TB-0042', 'TB-0042XX'],
    ]),
    errors: [at(36, 20, 'steps[1].params.record[0].example', 'does not match pattern /TB-[0-9]{4}|XX/')],
  },
  {
    name: 'the only witness is the performer\'s one-person role',
    yaml: edit([[23, '[witness]', '[admin]']]),
    errors: [at(23, 14, 'steps[0].witness', 'the only witness role "admin" is the performer\'s own role with 1 person: nobody independent watches')],
  },
  {
    name: 'the only witness is the performer\'s one-person role, listed twice',
    yaml: edit([[23, '[witness]', '[admin, admin]']]),
    errors: [at(23, 14, 'steps[0].witness', 'the only witness role "admin" is the performer\'s own role with 1 person: nobody independent watches')],
  },
  {
    name: 'the performer\'s two-person role may witness its own step',
    yaml: edit([[42, '[witness]', '[officer]']]),
    errors: [],
  },
];

// The check-in step lists admin, officer and witness; the auditor role exists but is not checked in.
// Lines 17-23 of TEMPLATE move down by 3, lines from 24 by 5.
const checkInRows: Row[] = [
  {
    name: 'not checked in: perform',
    yaml: edit([AUDITOR_ROLE, checkInRoles('admin, officer, witness'), [63, 'admin', 'auditor']]),
    errors: [at(68, 14, 'steps[4].perform', notCheckedIn('auditor'))],
  },
  {
    name: 'not checked in: perform of the check-in step itself',
    yaml: edit([AUDITOR_ROLE, checkInRoles('admin, officer, witness'), [22, 'admin', 'auditor']]),
    errors: [at(25, 14, 'steps[0].perform', notCheckedIn('auditor'))],
  },
  {
    name: 'not checked in: witness',
    yaml: edit([AUDITOR_ROLE, checkInRoles('admin, officer, witness'), [42, '[witness]', '[witness, auditor]']]),
    errors: [at(47, 24, 'steps[2].witness[1]', notCheckedIn('auditor'))],
  },
  {
    name: 'not checked in: sign_off',
    yaml: edit([AUDITOR_ROLE, checkInRoles('admin, officer, witness'), [65, '[officer]', '[officer, auditor]']]),
    errors: [at(70, 25, 'steps[4].sign_off[1]', notCheckedIn('auditor'))],
  },
  {
    name: 'not checked in: params.confirm_by',
    yaml: edit([AUDITOR_ROLE, checkInRoles('admin, officer, witness'), [31, 'admin', 'auditor']]),
    errors: [at(36, 19, 'steps[1].params.confirm_by', notCheckedIn('auditor'))],
  },
  {
    name: 'not checked in: params.pin_holders.role',
    yaml: edit([AUDITOR_ROLE, checkInRoles('admin, officer, witness'), [45, 'officer', 'auditor']]),
    errors: [at(50, 15, 'steps[2].params.pin_holders.role', notCheckedIn('auditor'))],
  },
  {
    name: 'not checked in: site.pin_holders.role',
    yaml: edit([sitePinHolders('auditor'), AUDITOR_ROLE, checkInRoles('admin, officer, witness'), ...NO_INIT_TOKEN]),
    errors: [at(8, 11, 'site.pin_holders.role', notCheckedIn('auditor'))],
  },
  {
    name: 'a role the check-in step lists is checked in',
    yaml: edit([AUDITOR_ROLE, checkInRoles('admin, officer, witness, auditor'), [63, 'admin', 'auditor']]),
    errors: [],
  },
  {
    name: 'an unknown role is reported as unknown only, not also as not checked in',
    yaml: edit([checkInRoles('admin, officer, witness'), [63, 'admin', 'nobody']]),
    errors: [at(65, 14, 'steps[4].perform', 'unknown role "nobody"')],
  },
];

// Dual control of an existing token: without hsm.init-token (NO_INIT_TOKEN), site.pin_holders says who
// activates the token. sitePinHolders moves lines from 7 down by 3, NO_INIT_TOKEN moves lines from 47 up by 10.
const pinHolderRows: Row[] = [
  {
    name: 'hsm steps on an existing token with site.pin_holders',
    yaml: edit([sitePinHolders('officer'), ...NO_INIT_TOKEN]),
    errors: [],
  },
  {
    name: 'hsm steps on an existing token without site.pin_holders',
    yaml: edit(NO_INIT_TOKEN),
    errors: [at(6, 3, 'site.pin_holders', PIN_HOLDERS_REQUIRED)],
  },
  {
    name: 'no hsm steps: no token, no pin holders needed',
    yaml: edit(removeLines(37, 78)),
    errors: [],
    warnings: [
      at(11, 3, 'roles.officer', 'role "officer" (Crypto Officer) takes part in no step'),
      at(19, 11, 'steps[0].kind', 'no evidence.init-key or evidence.use-key step: the evidence will not be signed and `officiant verify` will refuse the packet (the script uses no HSM, where the key would live)'),
    ],
  },
  {
    name: 'site.pin_holders beside an hsm.init-token step',
    yaml: edit([sitePinHolders('officer')]),
    errors: [at(7, 3, 'site.pin_holders', PIN_HOLDERS_FORBIDDEN)],
  },
  {
    name: 'site.pin_holders.role unknown',
    yaml: edit([sitePinHolders('nobody'), ...NO_INIT_TOKEN]),
    errors: [at(8, 11, 'site.pin_holders.role', 'unknown role "nobody"')],
  },
  {
    name: 'site.pin_holders need more people than the role has',
    yaml: edit([sitePinHolders('admin'), ...NO_INIT_TOKEN]),
    errors: [at(9, 13, 'site.pin_holders.people', 'needs 2 people in role "admin" but the role has 1')],
  },
  {
    name: 'site.pin_holders.people below 2 (dual control, from the schema)',
    yaml: edit([[6, '  hsm: test-hsm', '  hsm: test-hsm\n  pin_holders:\n    role: officer\n    people: 1'], ...NO_INIT_TOKEN]),
    errors: [at(9, 13, 'site.pin_holders.people', 'dual control needs at least 2 people')],
  },
  {
    name: 'a role that only holds the site PINs takes part',
    yaml: edit([sitePinHolders('auditor'), AUDITOR_ROLE, ...NO_INIT_TOKEN]),
    errors: [],
  },
];

// One schema problem must not hide the rule problems: the rules run on every part that passed the schema,
// and a rule whose input failed it is skipped, never guessed at.
const partialRows: Row[] = [
  {
    name: 'schema and rule problems together, sorted by line',
    yaml: edit([
      [3, 'version: 1', 'version: one'],
      [22, 'admin', 'nobody'],
      [37, 'init', 'seal'],
      [57, 'release', 'manifest'],
      [78, 'validity_days: 365', 'validity_days: "365"'],
    ]),
    errors: [
      at(3, 10, 'version', 'must be a number, got a string'),
      at(22, 14, 'steps[0].perform', 'unknown role "nobody"'),
      at(37, 9, 'steps[2].id', 'duplicate step id "seal" (first used by steps[1])'),
      at(57, 18, 'steps[3].params.authority', 'a release script cannot generate manifest keys'),
      at(78, 22, 'steps[5].params.validity_days', 'must be a number, got a string'),
    ],
  },
  {
    name: 'a step after an invalid step keeps its index and line',
    yaml: edit([
      [26, 'title: Seal checked', 'title: Seal checked\n    colour: blue'],
      [59, 'inspect', 'generate'],
    ]),
    errors: [at(27, 5, 'steps[1].colour', 'unknown key'), at(60, 9, 'steps[4].id', 'duplicate step id "generate" (first used by steps[3])')],
  },
  {
    name: 'an invalid step still counts by its kind and its id',
    yaml: edit([], '  - id: check-in\n    kind: participants.check-in\n    instructions: Everyone checks in again.\n    perform: admin\n'),
    errors: [
      at(79, 5, 'steps[6].title', 'is required'),
      at(79, 9, 'steps[6].id', 'duplicate step id "check-in" (first used by steps[0])'),
      at(80, 11, 'steps[6].kind', 'participants are already checked in by an earlier step'),
    ],
  },
  {
    name: 'an invalid first step that is not a check-in',
    yaml: edit([[19, 'participants.check-in', 'manual.confirm']]),
    errors: [
      at(18, 5, 'steps[0].params', 'is required'),
      at(19, 11, 'steps[0].kind', 'the first step must be participants.check-in (or room.preflight, then participants.check-in): every later step names people who checked in'),
    ],
  },
  {
    name: 'a first step of unknown kind may be the check-in: a later check-in does not decide who is checked in',
    yaml: edit(
      [[19, 'participants.check-in', 'participants.checkin']],
      '  - id: check-in-again\n    kind: participants.check-in\n    title: Check in again\n    instructions: Admins check in again.\n    perform: admin\n    params:\n      roles: [admin]\n',
    ),
    errors: [at(19, 11, 'steps[0].kind', 'unknown step kind "participants.checkin"')],
  },
  {
    name: 'an invalid role: references to it are neither unknown nor unchecked, its people not compared',
    yaml: edit([checkInRoles('admin, witness'), [13, 'people: 2', 'people: two']]),
    errors: [at(13, 13, 'roles.officer.people', 'must be a number, got a string')],
  },
  {
    name: 'an invalid generate-key step: later steps may use its key',
    yaml: edit([[55, 'root-key', 'Root Key!']]),
    errors: [at(55, 14, 'steps[3].params.label', 'must be letters, digits, dot, dash or underscore')],
  },
  {
    name: 'a step of unknown kind: later steps may use its key, and it may be the missing hsm.init-token',
    yaml: edit([...NO_INIT_TOKEN, [48, 'hsm.generate-key', 'hsm.generate-keys']]),
    errors: [at(38, 11, 'steps[2].kind', 'unknown step kind "hsm.generate-keys"')],
  },
  {
    name: 'an invalid site: the hsm rules that need it are skipped',
    yaml: edit([[6, 'test-hsm', 'Test_HSM'], ...NO_INIT_TOKEN]),
    errors: [at(6, 8, 'site.hsm', ID_FORMAT)],
  },
  {
    name: 'an invalid script authority: generated keys are not compared with it',
    yaml: edit([[4, 'release', 'both'], [57, 'release', 'manifest']]),
    errors: [at(4, 12, 'authority', 'must be one of: release, manifest')],
  },
  {
    name: 'warnings still come with schema problems',
    yaml: edit([[3, 'version: 1', 'version: one'], AUDITOR_ROLE, [53, 'abort', 'retry']]),
    errors: [at(3, 10, 'version', 'must be a number, got a string')],
    warnings: [at(17, 3, 'roles.auditor', 'role "auditor" (Auditor) takes part in no step'), at(56, 17, 'steps[3].on_failure', RETRY_WARNING)],
  },
  {
    name: 'no unused-role warning while a step that may use the role is invalid',
    yaml: edit([AUDITOR_ROLE, [65, 'sign_off: [officer]', 'sign_off: [auditor]\n    colour: blue']]),
    errors: [at(69, 5, 'steps[4].colour', 'unknown key')],
  },
];

const warningRows: Row[] = [
  {
    name: 'the template is valid and warns about nothing',
    yaml: TEMPLATE,
    errors: [],
  },
  {
    name: 'a role used by no step',
    yaml: edit([[16, 'people: 1', 'people: 1\n  auditor:\n    title: Auditor\n    people: 1']]),
    errors: [],
    warnings: [at(17, 3, 'roles.auditor', 'role "auditor" (Auditor) takes part in no step')],
  },
  {
    name: 'a generate-key with on_failure retry',
    yaml: edit([[53, 'abort', 'retry']]),
    errors: [],
    warnings: [at(53, 17, 'steps[3].on_failure', RETRY_WARNING)],
  },
  {
    name: 'a generate-key retried by default',
    yaml: edit([[53, 'on_failure: abort', '']]),
    errors: [],
    warnings: [at(47, 5, 'steps[3].on_failure', RETRY_WARNING)],
  },
];

// TEMPLATE has no evidence.init-key step; the warning that says so has its own test below.
const NO_EVIDENCE_KEY = 'no evidence.init-key or evidence.use-key step: the evidence will not be signed and `officiant verify` will refuse the packet';

function check(row: Row): void {
  const result = parseScript(FILE, row.yaml);
  expect(result.errors.map(formatProblem)).toEqual(row.errors);
  expect(result.warnings.map(formatProblem).filter((w) => !w.endsWith(NO_EVIDENCE_KEY))).toEqual(row.warnings ?? []);
  // A script comes back exactly when there is nothing to fix.
  expect(result.script === undefined).toBe(row.errors.length > 0);
}

describe('parseScript', () => {
  describe('schema problems', () => {
    it.each(schemaRows)('$name', check);
  });

  describe('cross-field rules', () => {
    it.each(ruleRows)('$name', check);
  });

  describe('every referenced role is checked in', () => {
    it.each(checkInRows)('$name', check);
  });

  describe('who activates the token', () => {
    it.each(pinHolderRows)('$name', check);
  });

  describe('rules on the valid parts of an invalid script', () => {
    it.each(partialRows)('$name', check);
  });

  describe('warnings', () => {
    it.each(warningRows)('$name', check);
  });

  describe('the evidence key', () => {
    it('warns when a script using the HSM creates no evidence key, at its first HSM step', () => {
      const warnings = parseScript(FILE, TEMPLATE).warnings.map(formatProblem);
      expect(warnings.filter((w) => w.endsWith(NO_EVIDENCE_KEY))).toEqual([expect.stringMatching(/^mini\.yaml:\d+:\d+ steps\[\d+\]\.kind: no evidence/)]);
    });

    const withEvidence = (at: 'before-init' | 'after-init' | 'twice') => {
      const step = (id: string) => `  - id: ${id}\n    kind: evidence.init-key\n    title: Evidence key\n    instructions: Create it.\n    perform: officer\n    witness: [witness]\n`;
      const lines = TEMPLATE.split('\n');
      const initAt = lines.findIndex((l) => l.includes('kind: hsm.init-token')) - 1;
      const genAt = lines.findIndex((l) => l.includes('kind: hsm.generate-key')) - 1;
      const insert = (i: number, text: string) => lines.splice(i, 0, text.trimEnd());
      if (at === 'twice') {
        insert(genAt, step('evidence-b'));
        insert(genAt, step('evidence-a'));
      } else insert(at === 'before-init' ? initAt : genAt, step('evidence'));
      return lines.join('\n');
    };

    it('accepts one evidence key created after the token exists, and then does not warn', () => {
      const r = parseScript(FILE, withEvidence('after-init'));
      expect(r.errors).toEqual([]);
      expect(r.warnings.map(formatProblem).filter((w) => w.endsWith(NO_EVIDENCE_KEY))).toEqual([]);
    });

    it('refuses an evidence key before the token is initialised', () => {
      const r = parseScript(FILE, withEvidence('before-init'));
      expect(r.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(['steps[2].kind: the evidence key lives on the token, which steps[3] initialises later']);
    });

    it('refuses a second evidence key', () => {
      const r = parseScript(FILE, withEvidence('twice'));
      expect(r.errors.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^the evidence key is already created by steps\[\d+\]$/)]));
    });
  });

  describe('every problem at once, sorted by line', () => {
    it('schema problems anywhere in the file', () => {
      const yaml = edit([
        [3, 'version: 1', 'version: one'],
        [4, 'authority: release', 'authority: release\ncolour: blue'],
        [13, 'people: 2', 'people: two'],
        [23, 'witness: [witness]', 'witness: [witness]\n    size: 3'],
        [56, 'EC-P256', 'DSA-1024'],
      ]);
      check({
        name: 'schema',
        yaml,
        errors: [
          at(3, 10, 'version', 'must be a number, got a string'),
          at(5, 1, 'colour', 'unknown key'),
          at(14, 13, 'roles.officer.people', 'must be a number, got a string'),
          at(25, 5, 'steps[0].size', 'unknown key'),
          at(58, 18, 'steps[3].params.algorithm', 'must be one of: RSA-3072, RSA-4096, EC-P256, EC-P384'),
        ],
      });
    });

    it('rule problems across steps and within one step', () => {
      const yaml = edit(
        [
          [22, 'admin', 'nobody'],
          [37, 'init', 'seal'],
          [57, 'release', 'manifest'],
          [67, 'root-key', 'other-key'],
        ],
        // Its unknown performer (line 83) is found before its second check-in (line 80).
        checkInStep('nobody'),
      );
      check({
        name: 'rules',
        yaml,
        errors: [
          at(22, 14, 'steps[0].perform', 'unknown role "nobody"'),
          at(37, 9, 'steps[2].id', 'duplicate step id "seal" (first used by steps[1])'),
          at(57, 18, 'steps[3].params.authority', 'a release script cannot generate manifest keys'),
          at(67, 12, 'steps[4].params.key', 'key "other-key" is not generated by an earlier step'),
          at(80, 11, 'steps[6].kind', 'participants are already checked in by an earlier step'),
          at(83, 14, 'steps[6].perform', 'unknown role "nobody"'),
        ],
      });
    });
  });
});
