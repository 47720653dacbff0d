#!/usr/bin/env bash
# Installs what Officiant needs and is missing; safe to run again (it only installs what is absent).
# Debian packages: softhsm2 (PKCS#11 sandbox), opensc (pkcs11-tool), poppler-utils (pdfsig, pdftotext),
# qpdf, openssl, fonts-dejavu-core (embedded evidence fonts), and a C++ toolchain for the pkcs11js addon;
# then `npm ci`. Exit 3 with a plain message when something cannot be installed here.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "setup: $*" >&2; exit 3; }
have() { command -v "$1" >/dev/null 2>&1; }

have node || fail "Node.js 20.17 or newer is required (not found)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=17)?0:1)' ||
  fail "Node.js 20.17 or newer is required (found $(node --version))"
have npm || fail "npm is required (not found)"

need_pkgs=()
{ [ -f /usr/lib/softhsm/libsofthsm2.so ] && have softhsm2-util; } || need_pkgs+=(softhsm2)
have pkcs11-tool || need_pkgs+=(opensc)
{ have pdfsig && have pdftotext && have pdftoppm; } || need_pkgs+=(poppler-utils)
have qpdf || need_pkgs+=(qpdf)
have openssl || need_pkgs+=(openssl)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need_pkgs+=(fonts-dejavu-core)
{ have make && have g++ && have python3; } || need_pkgs+=(build-essential python3)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  have apt-get || fail "cannot install ${need_pkgs[*]}: no apt-get on this machine; install them with your package manager"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      fail "cannot install ${need_pkgs[*]}: not root and no password-less sudo; run: sudo apt-get install ${need_pkgs[*]}"
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || fail "apt-get update failed"
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null || fail "apt-get install ${need_pkgs[*]} failed"
fi

# npm ci when node_modules is missing, older than the lock file, or lacks the native PKCS#11 binding.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
   [ ! -f node_modules/pkcs11js/build/Release/pkcs11.node ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
fi
