// officiant-avb-helper: avbtool's signing helper, through an open signing window.
//   --signing_helper:             officiant-avb-helper <ALGORITHM> <KEY_PATH>            (block on stdin, signature on stdout)
//   --signing_helper_with_files:  officiant-avb-helper <ALGORITHM> <KEY_PATH> <TMPFILE>  (block in TMPFILE, overwritten with the signature)
// KEY_PATH names the key by the public key in it (its SPKI SHA-256), never by its path. The window checks the
// block (exact modulus size, PKCS#1 v1.5 padding, the named hash's DigestInfo), signs it in the HSM, verifies
// and journals the signature; this helper only passes bytes. Exit 0 with the signature, 1 refused, 2 bad use,
// 3 no window.
import { readFileSync, writeFileSync } from 'node:fs';
import { askWindow, callerCommand, HelperError, keySpkiSha256, readNamed, runHelper } from './window-client.js';

const NAME = 'officiant-avb-helper';

function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch (err) {
    throw new HelperError(`cannot read the block from stdin: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
  }
}

await runHelper(NAME, async () => {
  const [algorithm, keyPath, tmpFile, ...extra] = process.argv.slice(2);
  if (!algorithm || !keyPath || extra.length > 0) throw new HelperError('usage: officiant-avb-helper <ALGORITHM> <KEY_PATH> [<TMPFILE>] (avbtool --signing_helper or --signing_helper_with_files)', 2);
  const key = keySpkiSha256(keyPath);
  const block = tmpFile ? readNamed(tmpFile, 'TMPFILE') : readStdin();
  const answer = await askWindow({ op: 'sign', kind: 'avb', algorithm, key_spki_sha256: key, data: block.toString('base64'), caller: callerCommand() });
  if (!answer.ok || !answer.signature) throw new HelperError(`refused: ${answer.error ?? 'no signature'}`, 1);
  const signature = Buffer.from(answer.signature, 'base64');
  if (tmpFile) writeFileSync(tmpFile, signature);
  else process.stdout.write(signature);
});
