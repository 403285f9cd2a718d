#!/usr/bin/env bash
# The pages in a real browser: headless Chromium (Debian's chromium and chromium-driver),
# Selenium and axe-core from PyPI in a venv, against `plinth serve` on the seeded catalog.
# Screenshots go to .build/browser-artifacts (PLINTH_ARTIFACTS).
# Usage: scripts/browser-test.sh [PLINTH_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
export PLINTH_BINARY=${1:-.build/debug/plinth}
venv=.build/venv-browser
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import selenium, axe_selenium_python' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'selenium>=4.20,<5' 'axe-selenium-python>=2.1,<3'
fi
"$venv/bin/python" Tests/Browser/test_pages.py
