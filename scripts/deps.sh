#!/usr/bin/env bash
# System packages the README's two commands need (Debian names). Missing ones are installed when this runs
# as root with apt-get; otherwise it prints the one command to run. Nothing is printed when all are there.
#
#   scripts/deps.sh setup   make, a C++ compiler and python3, for npm ci to build better-sqlite3 from source
#                           when no prebuilt binary can be fetched
#   scripts/deps.sh test    chromium (/usr/bin/chromium: the HTML export test), tmux (the interactive walk test),
#                           prometheus and prometheus-alertmanager (the fleet rules, configs and end-to-end test)
#
# --advise prints the command without installing; --dry-run says what it would install. Exit 0 when
# everything is (now) there, 1 when something is still missing. WK_CHROMIUM overrides the Chromium path.
set -uo pipefail
what=${1:-}
mode=${2:-}
missing=()
case "$what" in
  setup)
    command -v make >/dev/null 2>&1 || missing+=(make)
    command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || missing+=(g++)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    why='to build better-sqlite3 during npm ci'
    ;;
  test)
    [ -x "${WK_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    { command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
    { command -v prometheus-alertmanager && command -v amtool; } >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
    why='for the HTML export, interactive walk and Prometheus tests'
    ;;
  *)
    echo "usage: scripts/deps.sh setup|test [--advise|--dry-run]" >&2
    exit 2
    ;;
esac
[ ${#missing[@]} -eq 0 ] && exit 0

install=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$mode" != --advise ]; then
  if [ "$mode" = --dry-run ]; then
    echo "would run: apt-get update && ${install[*]}"
    exit 0
  fi
  echo "watchkeeper: installing ${missing[*]} ($why)" >&2
  if apt-get update && "${install[@]}"; then exit 0; fi
  echo "watchkeeper: installing ${missing[*]} failed" >&2
fi
if command -v apt-get >/dev/null 2>&1; then
  sudo=''
  [ "$(id -u)" = 0 ] || sudo='sudo '
  advice="${sudo}apt-get update && ${sudo}${install[*]}"
else
  advice="install ${missing[*]} with your system's package manager"
fi
echo "watchkeeper: ${missing[*]} missing ($why). Run: $advice" >&2
exit 1
