#!/bin/bash
# CI set-up for tests/test_web_browser.py: Debian's Chromium and its ChromeDriver, which the
# browser tests drive through Selenium (nothing is downloaded at test time; Selenium is
# pointed at /usr/bin/chromedriver). Idempotent: installs only what is missing. Several jobs
# on one machine may run apt-get at once, so apt-get runs under a lock when one is given.
set -eu
LOCK=${EV_APT_LOCK:-/tmp/ev-import-apt.lock}
if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
    flock "$LOCK" apt-get update -qq
    flock "$LOCK" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
chromium --version
chromedriver --version
