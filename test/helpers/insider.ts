// An insider's kit, for tests of what `verify` must not believe: someone who holds the PIN halves of a
// rehearsal's token (they are in its sandbox) and can write to the packet. They edit the journal and rebuild its
// hash chain, replace or delete files, re-sign PDFs and the manifest with the packet's own evidence key inside
// the HSM (pkcs11-tool, as anyone with the PINs could), and fix every hash the journal and manifest record, so
// that nothing but the rules themselves can tell.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detachedCms, p1363ToDer, type CmsKey } from '../../src/evidence/cms.js';
import { pemToDer } from '../../src/custody/pem.js';
import { entryHash, GENESIS, type JournalEntry, type JsonObject } from '../../src/record/journal.js';

/** An entry as the insider edits it: `seq` is its place in the original journal (for the intents results name). */
export type Draft = Omit<JournalEntry, 'prev' | 'hash'>;

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function readEntries(dir: string): JournalEntry[] {
  return readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEntry);
}

/** The evidence key of a rehearsal packet, signing inside its sandbox's SoftHSM with the holders' PIN halves. */
export function evidenceKeyOf(dir: string): CmsKey {
  const pointer = JSON.parse(readFileSync(join(dir, 'rehearsal.json'), 'utf8')) as { sandbox: string; people?: string };
  const people = JSON.parse(readFileSync(join(pointer.sandbox, pointer.people ?? 'people.json'), 'utf8')) as { secrets: Record<string, Record<string, string>> };
  const entries = readEntries(dir);
  const cert = entries.find((e) => e.type === 'result' && e.data.op === 'evidence.certificate')!.data.output as { pem: string; id: string; token?: string };
  // The key on the site's evidence token (evidence.use-key) or on the ceremony's own token (evidence.init-key).
  const tokenLabel = cert.token ?? (entries[0].data.site as { tokenLabel: string }).tokenLabel;
  const holders = cert.token
    ? (entries.find((e) => e.data.what === 'hsm-login' && e.data.token === cert.token)!.data.by as string[])
    : (entries.filter((e) => e.data.what === 'pin-holders').at(-1)?.data.holders as string[]);
  const pin = holders.map((h) => people.secrets[h][cert.token ? 'evidence-pin-half' : 'user-pin-half']).join('');
  return {
    certificate: pemToDer(cert.pem),
    hash: 'SHA-256',
    async sign(data: Buffer): Promise<Buffer> {
      const tmp = mkdtempSync(join(tmpdir(), 'insider-'));
      try {
        writeFileSync(join(tmp, 'h'), createHash('sha256').update(data).digest());
        const r = spawnSync('pkcs11-tool', ['--module', MODULE, '--token-label', tokenLabel, '--login', '--pin', pin, '--sign', '--mechanism', 'ECDSA', '--id', cert.id, '--input-file', join(tmp, 'h'), '--output-file', join(tmp, 's')], {
          env: { ...process.env, SOFTHSM2_CONF: join(pointer.sandbox, 'softhsm2.conf') },
          encoding: 'utf8',
        });
        if (r.status !== 0) throw new Error(`pkcs11-tool: ${r.stderr}`);
        return p1363ToDer(readFileSync(join(tmp, 's')));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

/** A signed PDF signed again by `key` over the very bytes its /ByteRange covers (the /Contents replaced). */
export async function resignPdf(pdf: Buffer, key: CmsKey): Promise<Buffer> {
  const text = pdf.toString('latin1');
  const m = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].at(-1);
  if (!m) throw new Error('not a signed PDF');
  const [a, b, c, d] = m.slice(1, 5).map(Number);
  const signed = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
  const hex = (await detachedCms(signed, key, new Date())).toString('hex');
  const room = c - (a + b) - 2;
  if (hex.length > room) throw new Error('signature does not fit');
  const out = Buffer.from(pdf);
  out.write(hex.padEnd(room, '0'), a + b + 1, 'latin1');
  return out;
}

export interface Reseal {
  /** The journal as the insider wants it (times and data kept as given; seq, prev and hash are rebuilt). */
  edit?: (entries: Draft[]) => Draft[];
  /** Files to write (bytes) or delete (null), relative to the packet. */
  files?: Record<string, Buffer | null>;
  /** PDFs to re-sign with the packet's evidence key after `files` are written. */
  resign?: string[];
  /** Sign with this key instead of the packet's own (an outsider's reseal). */
  key?: CmsKey;
}

/**
 * Rewrites a sealed packet as an insider would: files replaced, PDFs re-signed, the journal edited with every
 * recorded SHA-256 and size brought in line with the files, the chain rebuilt, the seal entry naming the new
 * head, and manifest.json rebuilt and signed again.
 */
export async function reseal(dir: string, r: Reseal): Promise<void> {
  const key = r.key ?? evidenceKeyOf(dir);
  const changed = new Map<string, Buffer>();
  for (const [path, bytes] of Object.entries(r.files ?? {})) {
    if (bytes === null) unlinkSync(join(dir, path));
    else {
      writeFileSync(join(dir, path), bytes);
      changed.set(path, bytes);
    }
  }
  for (const path of r.resign ?? []) {
    const bytes = await resignPdf(readFileSync(join(dir, path)), key);
    writeFileSync(join(dir, path), bytes);
    changed.set(path, bytes);
  }
  let drafts: Draft[] = readEntries(dir).map(({ prev: _p, hash: _h, ...rest }) => rest);
  if (r.edit) drafts = r.edit(drafts);
  const entries: JournalEntry[] = [];
  let prev = GENESIS;
  let closing: string | undefined;
  // Results name their intent by seq: follow the intents to their new places.
  const intentAt = new Map<number, number>();
  drafts.forEach((d, i) => {
    if (d.type === 'intent') intentAt.set(d.seq, i + 1);
  });
  drafts.forEach((d, i) => {
    const data = JSON.parse(JSON.stringify(d.data)) as JsonObject;
    if (d.type === 'result' && typeof data.intent === 'number') data.intent = intentAt.get(data.intent) ?? data.intent;
    for (const side of ['params', 'output'] as const) {
      const o = data[side] as JsonObject | undefined;
      const bytes = o && typeof o.path === 'string' ? changed.get(o.path) : undefined;
      if (o && bytes) {
        if ('sha256' in o) o.sha256 = sha256(bytes);
        if ('bytes' in o) o.bytes = bytes.length;
      }
    }
    if (d.type === 'ceremony.sealed' && closing) {
      data.journalHead = closing;
      const packet = changed.get('packet.pdf');
      if (packet) data.packet = { ...(data.packet as JsonObject), sha256: sha256(packet), bytes: packet.length };
    }
    const body = { seq: i + 1, time: d.time, type: d.type, actor: d.actor, step: d.step, data, prev };
    const e = { ...body, hash: entryHash(body) } as JournalEntry;
    if (e.type === 'ceremony.completed' || e.type === 'ceremony.aborted') closing = e.hash;
    entries.push(e);
    prev = e.hash;
  });
  writeFileSync(join(dir, 'journal.jsonl'), entries.map((e) => `${JSON.stringify({ seq: e.seq, time: e.time, type: e.type, actor: e.actor, step: e.step, data: e.data, prev: e.prev, hash: e.hash })}\n`).join(''));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { journalHead: string; files: Array<{ path: string; bytes: number; sha256: string }>; evidenceCertificate: { sha256: string } | null };
  manifest.journalHead = closing ?? manifest.journalHead;
  manifest.files = manifest.files
    .filter((f) => r.files?.[f.path] !== null)
    .map((f) => {
      const bytes = readFileSync(join(dir, f.path));
      return { path: f.path, bytes: bytes.length, sha256: sha256(bytes) };
    });
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  writeFileSync(join(dir, 'manifest.json'), text);
  writeFileSync(join(dir, 'manifest.json.p7s'), await detachedCms(Buffer.from(text, 'utf8'), key, new Date()));
}
