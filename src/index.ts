// Officiant's public API: re-exports only.
export { OfficiantError, exitCodeFor, isOfficiantError, type ErrorCode, type ExitCode } from './errors.js';
export { Script, Step, STEP_KINDS, type StepKind } from './script/schema.js';
export { SiteProfile } from './script/site-schema.js';
export { parseScript, checkRules, type ScriptCheck } from './script/rules.js';
export { formatProblem, type Problem } from './script/parse.js';
export { compileScript } from './script/compile.js';
export { renderPlan } from './script/plan.js';
export { scriptJsonSchema } from './script/json-schema.js';
export { Journal, parseJournal, verifyChain, entryHash, type JournalEntry } from './record/journal.js';
export { canonicalJson } from './record/canonical-json.js';
export { startCeremony, resumeCeremony, preflight, type CeremonyDeps, type RunResult, type Outcome } from './engine/runner.js';
export type { Hsm, HsmSession, Prompter, OutputStore, JournalFile, Clock, EvidenceRenderer, Secret, Person } from './engine/ports.js';
