#!/usr/bin/env bash
# What tests/test_demo_script.py needs: Debian's redis-server (the demo starts its own on a
# free loopback port) and the demo extra (academy-py, Parsl with monitoring). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v redis-server >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq redis-server >/dev/null
fi
python -m pip install --quiet '.[demo]'
