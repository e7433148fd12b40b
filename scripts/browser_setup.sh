#!/usr/bin/env bash
# The browser tests drive Debian's Chromium: install it when it is missing. (Playwright's own
# browser download cannot work on the book's machines, which reach only the package registries.)
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
  apt=(sudo apt-get)
else
  echo "chromium is missing and this user cannot install it: run 'apt-get install chromium' as root," >&2
  echo "or set RECSYS_LITE_CHROMIUM to a Chromium or Chrome binary." >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests"
"${apt[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq chromium
