#!/usr/bin/env bash
# Installs what Officiant needs and is missing. Safe to run again: it only installs what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
[ -f /usr/lib/softhsm/libsofthsm2.so ] && have softhsm2-util || need_pkgs+=(softhsm2)
have pkcs11-tool || need_pkgs+=(opensc)
have pdfsig && have pdftoppm || need_pkgs+=(poppler-utils)
have qpdf || need_pkgs+=(qpdf)
have openssl || need_pkgs+=(openssl)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_pkgs+=(fonts-dejavu-core)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  if ! have apt-get; then
    echo "setup: cannot install ${need_pkgs[*]}: no apt-get on this machine; install them with your package manager" >&2
    exit 3
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      echo "setup: cannot install ${need_pkgs[*]}: not root and no password-less sudo; run: sudo apt-get install ${need_pkgs[*]}" >&2
      exit 3
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
