#!/bin/bash
# CI set-up for tests/test_read_errors.py: a C compiler and libc headers to build the EIO
# shim (tests/tools/eio_preload.c, preloaded to make read(2) of one file fail mid-way).
# Present in a stock Debian 12 VM with build tools; installed here when missing.
# Idempotent: installs once.
set -u
if ! command -v cc >/dev/null 2>&1 || ! dpkg -s libc6-dev >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
fi
exit 0
