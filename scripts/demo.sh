#!/usr/bin/env bash
# The main job: the officers' enrollment rehearsed on simulated PIV tokens, then a full rehearsal of the flagship
# ceremony in which 3 of those 5 officers check in and approve with their tokens and the root key is backed up
# 3 of 5 to their tokens, on a throwaway SoftHSM. Then the root key at work (issue 12): a release policy drafted
# from its certificate and adopted by the officers, a pipeline's request for three made-up artifacts signed and
# its bundle checked (by Officiant and by hand with openssl), and a request refused because an APK carries the
# AOSP test key. Then an OTA manifest for that release (issue 13): drafted from the verified bundle, signed by the
# officers' 9c keys after the gates, accepted by `manifest verify` against the pinned keyring, and a downgrade
# refused. Then Android's own tools at work (issue 14): a signing plan approved by three officers opens a signing
# window, the OTA payload signer signs through the HSM (checked by openssl), a signature over the plan's budget
# is refused, and the operator closes the window (avbtool's helper: docs/android-signing.md and the tests). Then a restore drill of the backup into a fresh
# token, and a look at the evidence of them all.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent build
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
officers="evidence/demo-$stamp-officers"
out="evidence/demo-$stamp"
build="$out-build"      # what the release pipeline hands over: artifacts, the policy draft, requests
cert="$out/outputs/release-root-2026.cert.pem"

officiant() { node bin/officiant.js "$@"; }
# Shows the command as a person types it, then what it printed, indented.
shown() {
  echo "\$ officiant $*"
  officiant "$@" 2>&1 | sed 's/^/    /'
}
# A release-authority rehearsal whose whole transcript goes to <out>.log; shown here: each step's outcome on one
# line, the lines matching <pattern>, and how the ceremony ended. Returns the rehearsal's exit code.
rehearsed() {
  local dir=$1 pattern=$2
  shift 2
  echo "\$ officiant rehearse $* --out $dir"
  local rc=0
  officiant rehearse "$@" --out "$dir" >"$dir.log" 2>&1 || rc=$?
  grep -E "^ *(step [0-9]+ of [0-9]+ done: |step failed: )|^Ceremony |$pattern" "$dir.log" |
    sed -e 's/^ */    /' -e 's/ — performed by .*//' -e 's/^    Ceremony \([0-9a-f-]*\) /    ceremony \1 /' -e 's/\(ABORTED: the script aborts when this step fails\): .*/\1/'
  echo "    (whole transcript: $dir.log)"
  return $rc
}

officiant rehearse ceremonies/officer-enrollment.yaml --out "$officers"
echo
officiant rehearse ceremonies/release-authority-init.yaml --officers "$officers" --out "$out"

echo
echo "== Signing a release with the new root key (rehearsed; details in each transcript) =="
echo "-- 1. A release policy, drafted from the root certificate for people to review --"
mkdir -p "$build"
node scripts/demo-artifacts.mjs "$build"
shown policy draft --authority release --certificate "$cert" --label release-root-2026 \
  --kinds image,vbmeta,apk --approvals crypto-officer:3 --expires 90d --out "$build/policy-draft.json" | tee "$build/policy-draft.txt"
echo "-- 2. Three officers adopt it with their tokens --"
rehearsed "$out-policy" 'Policy SHA-256: .*words|Signed by: ' ceremonies/release-policy.yaml --from "$out" --policy "$build/policy-draft.json"
adopted="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).payload_sha256)' "$out-policy/outputs/policy.json")"
printf '    outputs/policy.json signs the reviewed draft (the same policy SHA-256): %s\n' \
  "$(grep -q "policy SHA-256: $adopted" "$build/policy-draft.txt" && echo yes || echo NO)"
echo "-- 3. The pipeline asks for a release: system.img, vbmeta.img, app.apk --"
shown request create --authority release --build-id demo-1 --source-revision 4f2a9c1 --channel stable --version 1 \
  --out "$build/request-1.json" "$build/good/system.img:image" "$build/good/vbmeta.img:vbmeta" "$build/good/app.apk:apk"
echo "-- 4. The signing ceremony: policy check, 3 approvals, the HSM signs, the bundle is written --"
rehearsed "$out-sign" 'PASS: |Release bundle: ' ceremonies/release-signing.yaml --from "$out" --request "$build/request-1.json" \
  --policy "$out-policy/outputs/policy.json" --artifacts "$build/good"
echo "-- 5. Whoever receives the bundle checks it against the root certificate's SHA-256 --"
trust="$(openssl x509 -in "$cert" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)"
shown release verify "$out-sign.release" --trust "$trust"
echo "-- 6. The same check by hand for one artifact, with openssl --"
bundle="$out-sign.release"
printf '    authority.pem is the pinned certificate: %s\n' \
  "$([ "$(openssl x509 -in "$bundle/authority.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)" = "$trust" ] && echo yes || echo NO)"
openssl x509 -in "$bundle/authority.pem" -pubkey -noout >"$build/authority.pub.pem"
printf '    artifacts/system.img under signatures/system.img.sig: %s\n' \
  "$(openssl dgst -sha256 -verify "$build/authority.pub.pem" -signature "$bundle/signatures/system.img.sig" "$bundle/artifacts/system.img")"
printf '    release.json under release.json.sig: %s\n' \
  "$(openssl dgst -sha256 -verify "$build/authority.pub.pem" -signature "$bundle/release.json.sig" "$bundle/release.json")"
echo "-- 7. A request refused: Camera.apk carries the AOSP test key in META-INF/CERT.RSA --"
shown request create --authority release --build-id demo-2 --source-revision 7d0e3b8 --channel stable --version 2 \
  --out "$build/request-2.json" "$build/bad/Camera.apk:apk"
refused=0
rehearsed "$out-refused" '^\[step [0-9]+ of [0-9]+\] Check the release against the policy' ceremonies/release-signing.yaml --from "$out" --request "$build/request-2.json" \
  --policy "$out-policy/outputs/policy.json" --artifacts "$build/bad" || refused=$?
if [ "$refused" -ne 1 ] || [ -e "$out-refused.release" ]; then
  echo "UNEXPECTED: the signing of Camera.apk ended with exit $refused; it must abort (exit 1) with no bundle" >&2
  exit 1
fi
echo "    refused as it must be: exit 1, nothing signed, no bundle; the aborted ceremony is sealed as evidence"


echo
echo "== An OTA manifest for the release, signed by the manifest authority's officers (9c keys, no HSM) =="
echo "-- 8. The pipeline drafts the manifest from the verified bundle --"
shown manifest draft --channel stable --version 1 --expires 30d --device demo-phone --release "$out-sign.release" \
  --trust "$trust" --out "$build/manifest-1.draft.json"
echo "-- 9. The officers sign it: gates first, then each signs with their 9c key --"
rehearsed "$out-manifest" 'PASS: |^ *signature [0-9]+ of ' ceremonies/manifest-signing.yaml --officers "$officers" \
  --manifest "$build/manifest-1.draft.json" --release "$out-sign.release"
echo "-- 10. A device checks it against the officers' keyring, pinned --"
keyring_sha="$(officiant keyring export --roster "$officers/outputs/roster.json" --out "$build/keyring.json" | sed -n 's/.*keyring sha256[^0-9a-f]*\([0-9a-f]\{64\}\).*/\1/ip' | head -n 1)"
shown manifest verify "$out-manifest/outputs/ota-manifest.json" --keyring "$build/keyring.json" --keyring-sha256 "$keyring_sha" --channel stable --device demo-phone
echo "-- 11. A downgraded manifest (version 1 again, after version 2) is refused --"
shown manifest draft --channel stable --version 2 --expires 30d --device demo-phone --release "$out-sign.release" \
  --trust "$trust" --out "$build/manifest-2.draft.json"
rehearsed "$out-manifest-2" 'PASS: ' ceremonies/manifest-signing.yaml --officers "$officers" \
  --manifest "$build/manifest-2.draft.json" --release "$out-sign.release"
downgrade=0
shown manifest verify "$out-manifest/outputs/ota-manifest.json" --keyring "$build/keyring.json" --keyring-sha256 "$keyring_sha" \
  --previous "$out-manifest-2/outputs/ota-manifest.json" || downgrade=$?
if [ "$downgrade" -ne 1 ]; then
  echo "UNEXPECTED: manifest verify accepted version 1 after version 2" >&2
  exit 1
fi
echo "    refused as it must be: exit 1, a device that trusts version 2 never goes back to version 1"

echo
echo "== Android's own tools sign through the HSM: a signing window under an approved plan =="
echo "-- 12. The signing plan: the root key may make 1 OTA payload signature, for 30 minutes --"
cat >"$build/signing-plan.json" <<PLAN
{
  "type": "officiant-signing-plan/1",
  "inputs": {
    "target_files": { "name": "demo-target_files.zip", "sha256": "$(printf 'demo target_files' | sha256sum | cut -d' ' -f1)" },
    "otatools": { "name": "otatools.zip", "sha256": "$(printf 'demo otatools' | sha256sum | cut -d' ' -f1)" }
  },
  "commands": [
    "officiant-payload-signer --key release-root-2026.pub.pem -in payload.hash -out payload.sig"
  ],
  "keys": [{ "label": "release-root-2026", "algorithm": "RSA-4096", "budget": { "payload": 1 } }],
  "time_limit_minutes": 30
}
PLAN
echo "-- 13. Three officers approve it; the window opens (transcript: $out-window.log) --"
officiant rehearse ceremonies/android-release-signing.yaml --from "$out" --signing-plan "$build/signing-plan.json" \
  --out "$out-window" >"$out-window.log" 2>&1 &
window_pid=$!
for _ in $(seq 1 600); do
  [ -S "$out-window/signing-window.sock" ] && break
  kill -0 "$window_pid" 2>/dev/null || break
  sleep 0.2
done
if [ ! -S "$out-window/signing-window.sock" ]; then
  echo "UNEXPECTED: the signing window did not open; see $out-window.log" >&2
  exit 1
fi
grep -E '^ +(signing plan:|inputs:|key [^ ]+:|time limit:)|Signing window open|OFFICIANT_SIGNING_WINDOW' "$out-window.log" | sed 's/^ */    /'
export OFFICIANT_SIGNING_WINDOW="$PWD/$out-window/signing-window.sock"
pub="$out/outputs/release-root-2026.pub.pem"
echo "-- 14. In the tools' terminal: the OTA payload signer signs through the window (ota_from_target_files calls it so) --"
node -e 'process.stdout.write(require("crypto").createHash("sha256").update("demo payload").digest())' >"$build/payload.hash"
echo "\$ officiant-payload-signer --key $pub -in $build/payload.hash -out $build/payload.sig"
bin/officiant-payload-signer --key "$pub" -in "$build/payload.hash" -out "$build/payload.sig"
openssl pkeyutl -verify -pubin -inkey "$pub" -in "$build/payload.hash" -sigfile "$build/payload.sig" -pkeyopt digest:sha256 | sed 's/^/    openssl: /'
echo "-- 15. A second payload signature is over the plan's budget: refused --"
over=0
bin/officiant-payload-signer --key "$pub" -in "$build/payload.hash" -out "$build/payload-2.sig" 2>&1 | sed 's/^/    /' || over=$?
if [ "$over" -eq 0 ]; then
  echo "UNEXPECTED: a signature over the plan's budget was made" >&2
  exit 1
fi
echo "-- 16. The operator closes the window; the session records what was signed --"
shown window close
unset OFFICIANT_SIGNING_WINDOW
wait "$window_pid"
grep -E 'Signing window closed|^Ceremony ' "$out-window.log" | sed 's/^ */    /'

echo
echo "== Restore drill: the root key's backup restored into a fresh token =="
officiant rehearse ceremonies/release-authority-restore.yaml --from "$out" --out "$out-restore"

echo
echo "== A new officer joins the roster: three officers approve, the roster's own enrollment CA certifies =="
rehearsed "$officers-join" 'Roster version [0-9]+ replacing|enrolled today|Slot 9a certificate' ceremonies/officer-addition.yaml --officers "$officers"

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
for packet in "$officers" "$out-policy" "$out-sign" "$out-refused" "$out-manifest" "$out-manifest-2" "$out-window" "$out-restore" "$officers-join"; do
  printf '%s: %s\n' "${packet#evidence/}" "$(officiant verify "$packet" | tail -n 1)"
done
node bin/officiant.js verify "$out"
echo "Key attributes read back from the HSM:"
node -e 'const j=require(process.argv[1]); for (const [k,v] of Object.entries(j.attributes)) console.log(`  ${k}: ${v}`)' "$(realpath "$out/outputs/release-root-2026.inspection.json")"
echo
echo "Open $out/packet.pdf to read the sealed evidence packet (cover, contents, every step, appendix)."
echo "Print the pre-ceremony script with: node bin/officiant.js plan ceremonies/release-authority-init.yaml --pdf plan.pdf"
