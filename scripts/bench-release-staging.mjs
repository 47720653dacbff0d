// Staging one large artifact (part of scripts/bench-release.mjs): the release files adapter's stage (copy into
// the staging dir while hashing, one streaming pass, synced to disk) against `openssl dgst -sha256` of the same
// file, on warm cache, alternating, each in a process of its own (scripts/bench-release-child.mjs). Two more
// baselines say where the time goes: the adapter's hash alone (no copy), and `dd conv=fsync`, a durable copy
// without hashing (what the disk allows for writing the file once). Memory growth: max RSS of the work's
// process minus that of the same process doing nothing. Then the test-key scan of the file, and of a ZIP of
// about the same size (fflate writes no Zip64: at most 4 GiB less 256 MiB), against the stage alone.
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { median, runMeasured } from './bench-lib.mjs';

const child = fileURLToPath(new URL('./bench-release-child.mjs', import.meta.url));
const MiB = 1024 * 1024;
const ZIP_MAX = 4 * 1024 * MiB - 256 * MiB;

/** Random bytes: nothing for the disk or the page cache to compress or share. */
function writeRandomFile(path, size) {
  const fd = openSync(path, 'w');
  const buf = Buffer.allocUnsafe(16 * MiB);
  try {
    for (let at = 0; at < size; at += buf.length) writeSync(fd, randomFillSync(buf), 0, Math.min(buf.length, size - at));
  } finally {
    closeSync(fd);
  }
}

/**
 * A ZIP shaped like a system image package: 32 MiB entries, three of four stored (random: native libraries,
 * compressed media) and one deflated (hex text, about 2:1, as code and resources compress).
 */
function writeZip(path, size) {
  const fd = openSync(path, 'w');
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    writeSync(fd, chunk);
  });
  const piece = Buffer.allocUnsafe(MiB);
  try {
    for (let i = 0, written = 0; written + 32 * MiB <= size; i++) {
      const deflated = i % 4 === 3;
      const entry = deflated ? new ZipDeflate(`res/blob-${i}.bin`, { level: 1 }) : new ZipPassThrough(`lib/part-${i}.so`);
      zip.add(entry);
      for (let at = 0; at < 32 * MiB; at += MiB) {
        randomFillSync(piece);
        entry.push(deflated ? Buffer.from(piece.toString('hex').slice(0, MiB)) : piece, at + MiB >= 32 * MiB);
      }
      written += deflated ? 16 * MiB : 32 * MiB;
    }
    zip.end();
  } finally {
    closeSync(fd);
  }
}

const inChild = (what, file, dir) => {
  const r = runMeasured(process.execPath, [child, what, file, ...(dir ? [dir] : [])]);
  return { ...JSON.parse(r.stdout), rss: r.rss };
};

/** Stages `file` into a fresh directory, which is removed afterwards (a 4 GiB unlink is not part of staging). */
function stageOnce(file, work) {
  const dir = join(work, 'staging');
  try {
    return inChild('stage', file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ddOnce(file, work) {
  const out = join(work, 'dd-copy');
  try {
    return { ms: runMeasured('dd', [`if=${file}`, `of=${out}`, 'bs=4M', 'conv=fsync', 'status=none']).ms };
  } finally {
    rmSync(out, { force: true });
  }
}

/** Minimum and median of each measurement over `rounds` alternating rounds, after one untimed round. */
export function benchStaging({ size, rounds, work, zip = true }) {
  mkdirSync(work, { recursive: true });
  const file = join(work, 'system-image.img');
  writeRandomFile(file, size);
  const measure = {
    'openssl dgst -sha256': () => ({ ms: runMeasured('openssl', ['dgst', '-sha256', file]).ms }),
    'officiant hash (no copy)': () => inChild('hash', file),
    'dd conv=fsync (no hash)': () => ddOnce(file, work),
    'officiant stage': () => stageOnce(file, work),
  };
  const runs = Object.fromEntries(Object.keys(measure).map((k) => [k, []]));
  for (let i = 0; i <= rounds; i++) {
    for (const [name, fn] of Object.entries(measure)) {
      const r = fn();
      if (i > 0) runs[name].push(r);
    }
  }
  const idle = median(Array.from({ length: 3 }, () => inChild('idle', file).rss));
  const stats = (name) => ({ min: Math.min(...runs[name].map((r) => r.ms)), median: median(runs[name].map((r) => r.ms)) });
  const table = Object.keys(measure).map((name) => ({ name, ...stats(name) }));
  const stage = stats('officiant stage');
  const stageGrowth = Math.max(...runs['officiant stage'].map((r) => r.rss)) - idle;
  const scan = inChild('scan', file);
  const result = { size, rounds, table, stage, idleRss: idle, stageGrowth, scan: { ...scan, growth: scan.rss - idle } };
  rmSync(file, { force: true });
  if (zip) {
    const zipFile = join(work, 'system-update.zip');
    writeZip(zipFile, Math.min(size, ZIP_MAX));
    const zipStage = stageOnce(zipFile, work);
    const zipScan = inChild('scan', zipFile);
    result.zip = { size: statSync(zipFile).size, stage: zipStage, scan: { ...zipScan, growth: zipScan.rss - idle } };
    rmSync(zipFile, { force: true });
  }
  return result;
}
