// officiant-payload-signer: ota_from_target_files' --payload_signer, through an open signing window. Called as
//   officiant-payload-signer --key <KEY_PATH> -in <hashfile> -out <sigfile>
// (--key comes from --payload_signer_args; -inkey is read too). The hash file holds the raw 32-byte SHA-256;
// the signature written is what `openssl pkeyutl -sign -pkeyopt digest:sha256` makes for the key's type: RSA
// PKCS#1 v1.5 (the modulus size) or DER ECDSA. Exit 0, 1 refused, 2 bad use, 3 no window.
import { writeFileSync } from 'node:fs';
import { askWindow, callerCommand, HelperError, keySpkiSha256, readNamed, runHelper } from './window-client.js';

const NAME = 'officiant-payload-signer';
const USAGE = 'usage: officiant-payload-signer --key <KEY_PATH> -in <hashfile> -out <sigfile> (ota_from_target_files --payload_signer, with --payload_signer_args "--key <KEY_PATH>")';

await runHelper(NAME, async () => {
  const args = process.argv.slice(2);
  const value = (...names: string[]) => {
    const i = args.findIndex((a) => names.includes(a));
    return i >= 0 ? args[i + 1] : undefined;
  };
  const keyPath = value('--key', '-inkey', '-key');
  const input = value('-in');
  const output = value('-out');
  if (!keyPath || !input || !output) throw new HelperError(USAGE, 2);
  const key = keySpkiSha256(keyPath);
  const digest = readNamed(input, 'the hash file');
  const answer = await askWindow({ op: 'sign', kind: 'payload', key_spki_sha256: key, data: digest.toString('base64'), caller: callerCommand() });
  if (!answer.ok || !answer.signature) throw new HelperError(`refused: ${answer.error ?? 'no signature'}`, 1);
  writeFileSync(output, Buffer.from(answer.signature, 'base64'));
});
