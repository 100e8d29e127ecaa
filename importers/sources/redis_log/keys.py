"""The keys redis-log writes, and Redis's roles and level tokens."""

from __future__ import annotations

SOURCE_NAME = "redis-log"
RECORD_NAME = "redis"
SCRIPT_NAME = "script"            # util-linux script's own header/trailer lines

# Keys (DESIGN §3: a Redis server is linux.pid + redis.role).
ROLE = "redis.role"
ROLE_CHAR = "redis.role_char"
LEVEL_CHAR = "redis.level_char"
CHILD_PID = "redis.child_pid"     # on the parent's "started by pid N" events
PARENT_PID = "redis.parent_pid"   # on a child's own lines, when its fork was logged
LINE_COUNT = "ev.line_count"      # lines a record spans, when more than one
FORMAT = "ev.format"              # which line variant the record's first line matched
INVALID_UTF8_KEY = "ev.invalid_utf8"

ROLES = {"M": "master", "S": "replica", "C": "child", "X": "sentinel"}
LEVEL_TOKENS = {".": "DEBUG", "-": "VERBOSE", "*": "INFO", "#": "WARNING"}
LEVELNOS = {"DEBUG": 10, "VERBOSE": 15, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
LEVEL_INFO = {token: (name, LEVELNOS[name]) for token, name in LEVEL_TOKENS.items()}

SNIFF_BYTES = 64 * 1024
MAX_BLOCK_LINES = 20_000          # a crash report with no END: close it here
MAX_HELD = 1_000                  # records held back waiting for a time or a role
