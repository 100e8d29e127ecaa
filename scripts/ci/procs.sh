#!/bin/bash
# CI set-up for tests/test_procs*.py. The live watcher tests need root (CI is root), bash,
# setpriv (util-linux) and the netlink proc connector, all in a stock Debian 12 VM.
# python3-bpfcc is installed so that `--backend auto` really *tries* bcc (and, on kernels
# without headers, falls back); if it cannot be installed the tests still run and see
# "python3-bpfcc is not installed" as the fallback reason. Idempotent: installs once.
set -u
if ! dpkg -s python3-bpfcc >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends python3-bpfcc >/dev/null; } \
        || echo "ci/procs.sh: python3-bpfcc not installed; bcc fallback tests see that" >&2
fi
exit 0
