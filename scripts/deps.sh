#!/bin/sh
# Installs the Debian packages zhilian needs that are not there yet. Runs
# `apt-get update` only when something is missing.
set -e
PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3
libsodium-dev libcmocka-dev libcairo2-dev libpango1.0-dev libqrencode-dev libxlsxwriter-dev libxml2-dev libcurl4-openssl-dev fonts-noto-cjk python3-pytest python3-requests python3-yaml python3-openpyxl python3-lxml
python3-aiosmtpd chromium wrk nginx-light poppler-utils curl time"
# `make fuzz` needs clang and its libFuzzer runtime as well.
[ "${ZHILIAN_FUZZ:-}" = 1 ] && PKGS="$PKGS clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js may come from elsewhere with npm inside it; only a machine without
# npm needs Debian's packages (which conflict with such a build).
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# Browser tests drive Debian's chromium with playwright-core from npm.
if [ ! -d tests/web/node_modules/playwright-core ]; then
	echo "deps: installing playwright-core (npm)"
	(cd tests/web && npm install --no-audit --no-fund --silent)
fi
