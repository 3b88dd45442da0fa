#!/usr/bin/env bash
# Run by `npm test` (pretest): the system packages the suite drives for real.
#   chromium        the add-in task pane, the guide and the report preview (playwright-core, no browser download)
#   libolap4j-java  olap4j's XMLA driver, a third-party client of our /xmla endpoint (the JDK is assumed)
# Present: nothing to do. Missing: installed with apt-get when we may (root or password-less sudo),
# otherwise we stop and say what to install, instead of letting three suites fail obscurely.
set -uo pipefail

missing=()
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium_path" ] || missing+=(chromium)
ls /usr/share/java/olap4j-xmla*.jar >/dev/null 2>&1 || missing+=(libolap4j-java)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"
else sudo=none
fi

if [ "$sudo" != none ] && command -v apt-get >/dev/null 2>&1; then
  echo "[test] installo i pacchetti di sistema che i test usano: ${missing[*]}"
  if { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/pas-test-apt.log 2>&1; then
    exit 0
  fi
  echo "[test] apt-get non è riuscito (dettagli in /tmp/pas-test-apt.log)." >&2
fi

cat >&2 <<MSG
[test] Mancano pacchetti di sistema usati dai test: ${missing[*]}
  Su Debian/Ubuntu:  sudo apt-get install ${missing[*]}
  Un Chromium altrove si indica con CHROMIUM_PATH=/percorso/chromium.
MSG
exit 1
