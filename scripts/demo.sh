#!/usr/bin/env bash
# The main job: the officers' enrollment rehearsed on simulated PIV tokens, then a full rehearsal of the flagship
# ceremony in which 3 of those 5 officers check in and approve with their tokens and the root key is backed up
# 3 of 5 to their tokens, on a throwaway SoftHSM; then a restore drill of that backup into a fresh token, and a
# look at the evidence of all three.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent build
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
officers="evidence/demo-$stamp-officers"
out="evidence/demo-$stamp"
node bin/officiant.js rehearse ceremonies/officer-enrollment.yaml --out "$officers"
echo
node bin/officiant.js rehearse ceremonies/release-authority-init.yaml --officers "$officers" --out "$out"
echo
node bin/officiant.js rehearse ceremonies/release-authority-restore.yaml --from "$out" --out "$out-restore"

echo
echo "== What to look at =="
echo "Evidence pages (one PDF per step, REHEARSAL watermark):"
ls -1 "$out"/steps/ | sed 's/^/  /'
echo "Root certificate:"
openssl x509 -in "$out/outputs/release-root-2026.cert.pem" -noout -subject -fingerprint -sha256 | sed 's/^/  /'
echo "Its self-signature, checked by openssl:"
openssl verify -CAfile "$out/outputs/release-root-2026.cert.pem" "$out/outputs/release-root-2026.cert.pem" | sed 's/^/  /'
echo "Journal hash chain:"
node bin/officiant.js journal "$out" | sed 's/^/  /'
echo "PDF signatures, checked by poppler's pdfsig:"
for f in "$out"/steps/*.pdf "$out/packet.pdf"; do
  printf '  %s: %s\n' "${f#$out/}" "$(pdfsig "$f" 2>&1 | grep -m1 'Signature Validation' | sed 's/.*Validation: //')"
done
echo "Manifest signature, checked by openssl:"
openssl cms -verify -binary -inform DER -in "$out/manifest.json.p7s" -content "$out/manifest.json" \
  -certfile "$out/outputs/evidence-key.cert.pem" -noverify -out /dev/null 2>&1 | sed 's/^/  /'
echo "Officer roster (signed by all 5 new officers) and the manifest keyring, checked and exported:"
node bin/officiant.js keyring export --roster "$officers/outputs/roster.json" --out "evidence/demo-$stamp-keyring.json" | sed 's/^/  /'
echo "Approvals recorded (3 of 5 crypto officers, each signature by the officer's token):"
node -e 'for (const l of require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n")) { const e = JSON.parse(l); if (e.data.what === "approval") console.log(`  ${e.step}: ${e.data.name}, device ${e.data.device}`); }' "$out/journal.jsonl"
echo "The closing entry (the head on the paper log), countersigned by the officers present with their tokens:"
node -e 'for (const l of require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n")) { const e = JSON.parse(l); if (e.data.what === "countersign-statement") console.log(`  journal head ${e.data.statement.journal_head}`); if (e.data.what === "countersignature") console.log(`  ${e.data.name}, device ${e.data.device}`); }' "$out/journal.jsonl"
echo "Backup of the root key (3 of 5 custodians; public-safe files, shares sealed to each custodian's token):"
ls -1 "$out"/outputs/backup/ "$out"/outputs/shares/ | sed 's/^/  /'
echo "Restore drill: the restored key's signature over a statement naming the drill, checked by openssl"
echo "against the ORIGINAL root certificate:"
openssl x509 -in "$out/outputs/release-root-2026.cert.pem" -pubkey -noout > "$out-restore.root.pub.pem"
openssl dgst -sha256 -verify "$out-restore.root.pub.pem" -signature "$out-restore/outputs/restore/release-root-2026.statement.sig" \
  "$out-restore/outputs/restore/release-root-2026.statement.json" | sed 's/^/  /'
echo
echo "== Verification of the packets, as an auditor runs it (offline) =="
node bin/officiant.js verify "$officers" | tail -n 1
node bin/officiant.js verify "$out-restore" | tail -n 1
node bin/officiant.js verify "$out"
echo "Key attributes read back from the HSM:"
node -e 'const j=require(process.argv[1]); for (const [k,v] of Object.entries(j.attributes)) console.log(`  ${k}: ${v}`)' "$(realpath "$out/outputs/release-root-2026.inspection.json")"
echo
echo "Open $out/packet.pdf to read the sealed evidence packet (cover, contents, every step, appendix)."
echo "Print the pre-ceremony script with: node bin/officiant.js plan ceremonies/release-authority-init.yaml --pdf plan.pdf"
