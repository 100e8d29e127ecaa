"""Message families: Redis messages that say what happened become named events with keys.

A client accepted, a save started by child pid N, a full resync, a sentinel
``+switch-master``... Each :class:`Message` is a variant with real samples; :func:`classify`
finds a message's family by its exact text or its leading words, so most lines cost one
dict look-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...core.lineformat import KINDS, LineTable, Sample, Variant
from ...core.record import (
    UNKNOWN_VALUES,
)

# ---------------------------------------------------------------------------------------
# Message families: the text after the prefix. Each is a variant with real samples (the
# message part of fixture lines), the event it becomes, and constant keys it adds.
# Group names become ``redis.<group>`` keys; ``_ip``/``_port`` pairs become ``<x>_addr``;
# a ``client_info`` group (Redis' CLIENT LIST text) gives client id, addr and name.

INT_GROUPS = frozenset({
    "port", "child_pid", "bits", "modified", "connected_clients", "connected_replicas",
    "used_memory", "db", "keys", "volatile_keys", "slots", "changes", "seconds", "repl_offset",
    "epoch", "client_id", "rdb_bytes", "keys_loaded", "keys_expired", "cow_mb", "cow_peak_mb",
    "cow_average_mb", "replid2_offset",
})
FLOAT_GROUPS = frozenset({"load_seconds"})


@dataclass(frozen=True)
class Message:
    """One message family: its variant (pattern and samples), event, and constant keys."""

    event: str
    variant: Variant
    fields: Mapping[str, Any] = field(default_factory=dict)
    level: str | None = None     # overrides the line's level (e.g. a crash is CRITICAL)


def kind_of(group: str) -> str:
    """The value kind (importers.core.lineformat.KINDS) of a message group."""
    return "int" if group in INT_GROUPS else "float" if group in FLOAT_GROUPS else "str"


def _m(event: str, name: str, pattern: str, *samples: tuple[str, dict[str, str]],
       fields: Mapping[str, Any] | None = None, level: str | None = None) -> Message:
    """A family: each group of its pattern is declared as the variant's field
    ``redis.<group>`` of its kind, so the engine's checks (tests/test_formats.py) build
    every sample with the kinds the reader uses."""
    groups = re.compile(pattern, re.VERBOSE).groupindex
    declared = {g: (f"redis.{g}", kind_of(g)) for g in groups}
    return Message(event, Variant(name, pattern, tuple(Sample(s, f) for s, f in samples),
                                  fields=declared), fields or {}, level)


_ADDR = r"(?P<{0}>\S+)"
_SENT_MASTER = r"master\ (?P<master_name>\S+)\ (?P<master_ip>\S+)\ (?P<master_port>\d+)"
_SENT_INSTANCE = (r"(?P<instance_type>slave|replica|sentinel)\ (?P<instance_name>\S+)\ "
                  r"(?P<instance_ip>\S+)\ (?P<instance_port>\d+)\ @\ (?P<master_name>\S+)\ "
                  r"(?P<master_ip>\S+)\ (?P<master_port>\d+)")

# Redis' CLIENT LIST text of the client that asked (real lines, long: quoted once here).
_CLOSED_INFO = (
    "id=3 addr=127.0.0.1:59762 laddr=127.0.0.1:61101 fd=7 name= age=0 "
    "idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 "
    "qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=16384 rbp=7 obl=0 oll=0 "
    "omem=0 tot-mem=37632 events=r cmd=ping user=default redir=-1 resp=2"
)
_MASTER_MODE_INFO = (
    "id=6 addr=127.0.0.1:33505 fd=6 name=sentinel-0ec608bb-cmd age=4 "
    "idle=0 flags=x db=0 sub=0 psub=0 multi=3 qbuf=134 qbuf-free=32634 "
    "obl=36 oll=0 omem=0 events=r cmd=exec"
)
_SLAVE_OF_INFO = (
    "id=5 addr=127.0.0.1:47989 fd=5 name=sentinel-0ec608bb-cmd age=10 "
    "idle=0 flags=x db=0 sub=0 psub=0 multi=3 qbuf=0 qbuf-free=32768 "
    "obl=36 oll=0 omem=0 events=r cmd=exec"
)
_REPLICAOF_INFO = (
    "id=6 addr=127.0.0.1:59924 laddr=127.0.0.1:61105 fd=7 "
    "name=sentinel-104f02bd-cmd age=10 idle=0 flags=x db=0 sub=0 psub=0 "
    "ssub=0 multi=4 qbuf=197 qbuf-free=20277 argv-mem=4 multi-mem=178 "
    "rbs=1024 rbp=1024 obl=45 oll=0 omem=0 tot-mem=22574 events=r cmd=exec "
    "user=default redir=-1 resp=2"
)

MESSAGES: tuple[Message, ...] = (
    # -- startup and identity
    _m("server_start", "starting", r"oO0OoO0OoO0Oo\ Redis\ is\ starting\ oO0OoO0OoO0Oo$",
       ("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", {})),
    _m("server_start", "server-started", r"Server\ started,\ Redis\ version\ (?P<version>\S+)$",
       ("Server started, Redis version 2.8.17", {"version": "2.8.17"})),
    _m("server_version", "version",
       r"Redis\ version=(?P<version>[^,]+),\ bits=(?P<bits>\d+),\ commit=(?P<commit>[^,]+),"
       r"\ modified=(?P<modified>\d+),\ pid=\d+,\ just\ started$",
       ("Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=5618, just started",
        {"version": "7.0.15", "bits": "64", "commit": "00000000", "modified": "0"})),
    _m("config_loaded", "config-loaded", r"Configuration\ loaded$",
       ("Configuration loaded", {})),
    _m("server_mode", "running-mode", r"Running\ mode=(?P<mode>\w+),\ port=(?P<port>\d+)\.$",
       ("Running mode=standalone, port=61101.", {"mode": "standalone", "port": "61101"}),
       ("Running mode=sentinel, port=61107.", {"mode": "sentinel", "port": "61107"})),
    _m("server_initialized", "initialized", r"Server\ initialized$",
       ("Server initialized", {})),
    _m("ready", "ready", r"Ready\ to\ accept\ connections",
       ("Ready to accept connections", {})),
    _m("ready", "ready-port",
       r"The\ server\ is\ now\ ready\ to\ accept\ connections\ on\ port\ (?P<port>\d+)$",
       ("The server is now ready to accept connections on port 61115", {"port": "61115"})),
    _m("sentinel_id", "sentinel-id", r"Sentinel\ (?:runid|ID)\ is\ (?P<sentinel_id>[0-9a-f]+)$",
       ("Sentinel runid is e0412ea45c049b64969e296a7539dbf2de29e22d",
        {"sentinel_id": "e0412ea45c049b64969e296a7539dbf2de29e22d"}),
       ("Sentinel ID is 104f02bd4f95170e804c7f9d45820e92375c2376",
        {"sentinel_id": "104f02bd4f95170e804c7f9d45820e92375c2376"})),
    # -- clients
    _m("client_accepted", "accepted", r"Accepted\ " + _ADDR.format("client_addr") + "$",
       ("Accepted 127.0.0.1:59762", {"client_addr": "127.0.0.1:59762"})),
    _m("client_closed", "closed", r"Client\ closed\ connection$",
       ("Client closed connection", {})),
    _m("client_closed", "closed-info", r"Client\ closed\ connection\ (?P<client_info>id=.*)$",
       ("Client closed connection " + _CLOSED_INFO, {"client_info": _CLOSED_INFO})),
    _m("clients_stats", "clients-connected",
       r"(?P<connected_clients>\d+)\ clients\ connected\ \((?P<connected_replicas>\d+)\ "
       r"(?:slaves|replicas)\),\ (?P<used_memory>\d+)\ bytes\ in\ use$",
       ("1 clients connected (0 slaves), 843864 bytes in use",
        {"connected_clients": "1", "connected_replicas": "0", "used_memory": "843864"}),
       ("0 clients connected (0 replicas), 876200 bytes in use",
        {"connected_clients": "0", "connected_replicas": "0", "used_memory": "876200"})),
    _m("db_stats", "db-keys",
       r"DB\ (?P<db>\d+):\ (?P<keys>\d+)\ keys\ \((?P<volatile_keys>\d+)\ volatile\)\ in\ "
       r"(?P<slots>\d+)\ slots\ HT\.$",
       ("DB 0: 3 keys (0 volatile) in 4 slots HT.",
        {"db": "0", "keys": "3", "volatile_keys": "0", "slots": "4"})),
    # -- persistence: forks and what they did
    _m("bgsave_start", "bgsave-start", r"Background\ saving\ started\ by\ pid\ (?P<child_pid>\d+)$",
       ("Background saving started by pid 8458", {"child_pid": "8458"})),
    _m("bgsave_end", "bgsave-end", r"Background\ saving\ terminated\ with\ (?P<result>success)$",
       ("Background saving terminated with success", {"result": "success"})),
    _m("aof_rewrite_start", "aof-rewrite-start",
       r"Background\ append\ only\ file\ rewriting\ started\ by\ pid\ (?P<child_pid>\d+)$",
       ("Background append only file rewriting started by pid 8475", {"child_pid": "8475"})),
    _m("aof_rewrite_end", "aof-rewrite-end",
       r"Background\ AOF\ rewrite\ terminated\ with\ (?P<result>success)$",
       ("Background AOF rewrite terminated with success", {"result": "success"})),
    _m("aof_rewrite_done", "aof-rewrite-done", r"Background\ AOF\ rewrite\ finished\ successfully$",
       ("Background AOF rewrite finished successfully", {})),
    _m("rdb_transfer_start", "rdb-transfer-start",
       r"Background\ RDB\ transfer\ started\ by\ pid\ (?P<child_pid>\d+)$",
       ("Background RDB transfer started by pid 6501", {"child_pid": "6501"})),
    _m("rdb_transfer_end", "rdb-transfer-end",
       r"Background\ RDB\ transfer\ terminated\ with\ (?P<result>success)$",
       ("Background RDB transfer terminated with success", {"result": "success"})),
    _m("db_saved", "db-saved", r"DB\ saved\ on\ disk$", ("DB saved on disk", {})),
    _m("fork_cow", "cow",
       r"(?P<purpose>RDB|AOF\ rewrite):\ (?P<cow_mb>\d+)\ MB\ of\ memory\ used\ by\ copy-on-write$",
       ("RDB: 0 MB of memory used by copy-on-write", {"purpose": "RDB", "cow_mb": "0"}),
       ("AOF rewrite: 0 MB of memory used by copy-on-write",
        {"purpose": "AOF rewrite", "cow_mb": "0"})),
    _m("fork_cow", "fork-cow",
       r"Fork\ CoW\ for\ (?P<purpose>RDB|AOF\ rewrite):\ current\ (?P<cow_mb>\d+)\ MB,\ peak\ "
       r"(?P<cow_peak_mb>\d+)\ MB,\ average\ (?P<cow_average_mb>\d+)\ MB$",
       ("Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB",
        {"purpose": "RDB", "cow_mb": "0", "cow_peak_mb": "0", "cow_average_mb": "0"})),
    _m("save_triggered", "changes-saving",
       r"(?P<changes>\d+)\ changes\ in\ (?P<seconds>\d+)\ seconds\.\ Saving\.\.\.$",
       ("1 changes in 1 seconds. Saving...", {"changes": "1", "seconds": "1"})),
    _m("db_loaded", "db-loaded", r"DB\ loaded\ from\ disk:\ (?P<load_seconds>[\d.]+)\ seconds$",
       ("DB loaded from disk: 0.000 seconds", {"load_seconds": "0.000"})),
    _m("rdb_loaded", "rdb-loaded",
       r"Done\ loading\ RDB,\ keys\ loaded:\ (?P<keys_loaded>\d+),\ keys\ expired:\ "
       r"(?P<keys_expired>\d+)\.$",
       ("Done loading RDB, keys loaded: 4, keys expired: 0.",
        {"keys_loaded": "4", "keys_expired": "0"})),
    _m("final_save", "final-save", r"Saving\ the\ final\ RDB\ snapshot\ before\ exiting\.$",
       ("Saving the final RDB snapshot before exiting.", {})),
    # -- replication, replica side
    _m("master_connecting", "connecting", r"Connecting\ to\ MASTER\ " + _ADDR.format("master_addr")
       + "$", ("Connecting to MASTER 127.0.0.1:61118", {"master_addr": "127.0.0.1:61118"})),
    _m("master_connecting", "reconnecting",
       r"Reconnecting\ to\ MASTER\ " + _ADDR.format("master_addr") + "$",
       ("Reconnecting to MASTER 127.0.0.1:61105", {"master_addr": "127.0.0.1:61105"})),
    _m("sync_start", "sync-started", r"MASTER\ <->\ (?:SLAVE|REPLICA)\ sync\ started$",
       ("MASTER <-> SLAVE sync started", {}), ("MASTER <-> REPLICA sync started", {})),
    _m("sync_end", "sync-finished",
       r"MASTER\ <->\ (?:SLAVE|REPLICA)\ sync:\ Finished\ with\ (?P<result>success)$",
       ("MASTER <-> SLAVE sync: Finished with success", {"result": "success"}),
       ("MASTER <-> REPLICA sync: Finished with success", {"result": "success"})),
    _m("sync_receiving", "sync-receiving",
       r"MASTER\ <->\ (?:SLAVE|REPLICA)\ sync:\ receiving\ (?P<rdb_bytes>\d+)\ bytes\ from\ "
       r"master",
       ("MASTER <-> SLAVE sync: receiving 75 bytes from master", {"rdb_bytes": "75"})),
    _m("full_resync", "full-resync",
       r"Full\ resync\ from\ master:\ (?P<replid>[0-9a-f]+):(?P<repl_offset>\d+)$",
       ("Full resync from master: f35f3df53c340f44d2ec76471d7217152145ea37:1",
        {"replid": "f35f3df53c340f44d2ec76471d7217152145ea37", "repl_offset": "1"}),
       fields={"redis.resync": "full"}),
    _m("partial_resync_impossible", "partial-not-possible",
       r"Partial\ resynchronization\ not\ possible\ \((?P<reason>[^)]*)\)$",
       ("Partial resynchronization not possible (no cached master)",
        {"reason": "no cached master"}),
       fields={"redis.resync": "full"}),
    _m("partial_resync_try", "partial-try",
       r"Trying\ a\ partial\ resynchronization\ \(request\ (?P<replid>[0-9a-f]+):"
       r"(?P<repl_offset>\d+)\)\.$",
       ("Trying a partial resynchronization (request 49eae722667686967bb724e4aa1b9aeaa51c55f6:1).",
        {"replid": "49eae722667686967bb724e4aa1b9aeaa51c55f6", "repl_offset": "1"}),
       fields={"redis.resync": "partial"}),
    _m("master_link_lost", "master-lost", r"Connection\ with\ master\ lost\.$",
       ("Connection with master lost.", {})),
    _m("sync_error", "sync-error", r"Error\ condition\ on\ socket\ for\ SYNC:\ (?P<error>.+)$",
       ("Error condition on socket for SYNC: Connection refused",
        {"error": "Connection refused"})),
    _m("role_change", "master-mode", r"MASTER\ MODE\ enabled\ \(user\ request\)$",
       ("MASTER MODE enabled (user request)", {}), fields={"redis.new_role": "master"}),
    _m("role_change", "master-mode-from",
       r"MASTER\ MODE\ enabled\ \(user\ request\ from\ '(?P<client_info>.*)'\)$",
       (f"MASTER MODE enabled (user request from '{_MASTER_MODE_INFO}')",
        {"client_info": _MASTER_MODE_INFO}),
       fields={"redis.new_role": "master"}),
    _m("role_change", "slave-of",
       r"SLAVE\ OF\ " + _ADDR.format("master_addr") + r"\ enabled\ \(user\ request\)$",
       ("SLAVE OF 127.0.0.1:61119 enabled (user request)", {"master_addr": "127.0.0.1:61119"}),
       fields={"redis.new_role": "replica"}),
    _m("role_change", "slave-of-from",
       r"(?:SLAVE\ OF|REPLICAOF)\ " + _ADDR.format("master_addr")
       + r"\ enabled\ \(user\ request\ from\ '(?P<client_info>.*)'\)$",
       (f"SLAVE OF 127.0.0.1:61131 enabled (user request from '{_SLAVE_OF_INFO}')",
        {"master_addr": "127.0.0.1:61131", "client_info": _SLAVE_OF_INFO}),
       (f"REPLICAOF 127.0.0.1:61106 enabled (user request from '{_REPLICAOF_INFO}')",
        {"master_addr": "127.0.0.1:61106", "client_info": _REPLICAOF_INFO}),
       fields={"redis.new_role": "replica"}),
    _m("replid_change", "secondary-replid",
       r"Setting\ secondary\ replication\ ID\ to\ (?P<replid2>[0-9a-f]+),\ valid\ up\ to\ "
       r"offset:\ (?P<replid2_offset>\d+)\.\ New\ replication\ ID\ is\ (?P<replid>[0-9a-f]+)$",
       ("Setting secondary replication ID to 1abb78809032827010ce503a67cf57b6ee50a03a, valid up "
        "to offset: 297. New replication ID is bf6fdaa0231232c5f32314bb9830b93099379261",
        {"replid2": "1abb78809032827010ce503a67cf57b6ee50a03a", "replid2_offset": "297",
         "replid": "bf6fdaa0231232c5f32314bb9830b93099379261"})),
    # -- replication, master side
    _m("replica_sync_request", "slave-asks", r"(?:Slave|Replica)\ asks\ for\ synchronization$",
       ("Slave asks for synchronization", {})),
    _m("replica_sync_request", "replica-asks",
       r"(?:Slave|Replica)\ " + _ADDR.format("replica_addr") + r"\ asks\ for\ synchronization$",
       ("Slave 127.0.0.1:61131 asks for synchronization", {"replica_addr": "127.0.0.1:61131"}),
       ("Replica 127.0.0.1:61106 asks for synchronization",
        {"replica_addr": "127.0.0.1:61106"})),
    _m("full_resync_requested", "full-resync-requested",
       r"Full\ resync\ requested\ by\ (?:slave|replica)\.$",
       ("Full resync requested by slave.", {}), fields={"redis.resync": "full"}),
    _m("full_resync_requested", "full-resync-requested-by",
       r"Full\ resync\ requested\ by\ (?:slave|replica)\ " + _ADDR.format("replica_addr") + "$",
       ("Full resync requested by slave 127.0.0.1:61131", {"replica_addr": "127.0.0.1:61131"}),
       ("Full resync requested by replica 127.0.0.1:61106",
        {"replica_addr": "127.0.0.1:61106"}),
       fields={"redis.resync": "full"}),
    _m("partial_resync_rejected", "partial-not-accepted",
       r"Partial\ resynchronization\ not\ accepted:\ (?P<reason>.+)$",
       ("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
        "'49eae722667686967bb724e4aa1b9aeaa51c55f6', my replication IDs are "
        "'bf6fdaa0231232c5f32314bb9830b93099379261' and "
        "'1abb78809032827010ce503a67cf57b6ee50a03a')",
        {"reason": "Replication ID mismatch (Replica asked for "
                   "'49eae722667686967bb724e4aa1b9aeaa51c55f6', my replication IDs are "
                   "'bf6fdaa0231232c5f32314bb9830b93099379261' and "
                   "'1abb78809032827010ce503a67cf57b6ee50a03a')"}),
       fields={"redis.resync": "full"}),
    _m("bgsave_for_sync", "bgsave-for-sync", r"Starting\ BGSAVE\ for\ SYNC$",
       ("Starting BGSAVE for SYNC", {})),
    _m("bgsave_for_sync", "bgsave-for-sync-target",
       r"Starting\ BGSAVE\ for\ SYNC\ with\ target:\ (?P<target>.+)$",
       ("Starting BGSAVE for SYNC with target: disk", {"target": "disk"}),
       ("Starting BGSAVE for SYNC with target: replicas sockets", {"target": "replicas sockets"})),
    _m("replica_sync_done", "sync-with-slave",
       r"Synchronization\ with\ (?:slave|replica)\ succeeded$",
       ("Synchronization with slave succeeded", {})),
    _m("replica_sync_done", "sync-with-replica",
       r"Synchronization\ with\ (?:slave|replica)\ " + _ADDR.format("replica_addr")
       + r"\ succeeded$",
       ("Synchronization with slave 127.0.0.1:61131 succeeded",
        {"replica_addr": "127.0.0.1:61131"}),
       ("Synchronization with replica 127.0.0.1:61106 succeeded",
        {"replica_addr": "127.0.0.1:61106"})),
    _m("replica_link_lost", "replica-lost",
       r"Connection\ with\ (?:slave|replica)\ " + _ADDR.format("replica_addr") + r"\ lost\.$",
       ("Connection with slave 127.0.0.1:61118 lost.", {"replica_addr": "127.0.0.1:61118"}),
       ("Connection with replica 127.0.0.1:61105 lost.", {"replica_addr": "127.0.0.1:61105"})),
    _m("replication_backlog_created", "backlog-created",
       r"Replication\ backlog\ created,\ my\ new\ replication\ IDs\ are\ '(?P<replid>[0-9a-f]+)'"
       r"\ and\ '(?P<replid2>[0-9a-f]+)'$",
       ("Replication backlog created, my new replication IDs are "
        "'1abb78809032827010ce503a67cf57b6ee50a03a' and "
        "'0000000000000000000000000000000000000000'",
        {"replid": "1abb78809032827010ce503a67cf57b6ee50a03a",
         "replid2": "0000000000000000000000000000000000000000"})),
    # -- shutdown
    _m("signal", "received-signal",
       r"Received\ (?P<signal>SIG[A-Z]+)\ scheduling\ shutdown\.\.\.$",
       ("Received SIGTERM scheduling shutdown...", {"signal": "SIGTERM"})),
    _m("shutdown", "shutdown", r"User\ requested\ shutdown\.\.\.$",
       ("User requested shutdown...", {})),
    _m("exit", "exit", r"(?:Redis|Sentinel)\ is\ now\ ready\ to\ exit,\ bye\ bye\.\.\.$",
       ("Redis is now ready to exit, bye bye...", {}),
       ("Sentinel is now ready to exit, bye bye...", {})),
    # -- sentinel events: "+event <instance> [detail]" (sentinel.c sentinelEvent)
    _m("sentinel_event", "sentinel-master",
       r"(?P<sentinel_event>[+-][a-z][\w-]*)\ " + _SENT_MASTER + r"\ ?(?P<sentinel_detail>.*)$",
       ("+sdown master mymaster 127.0.0.1 61118",
        {"sentinel_event": "+sdown", "master_name": "mymaster", "master_ip": "127.0.0.1",
         "master_port": "61118", "sentinel_detail": ""}),
       ("+odown master mymaster 127.0.0.1 61118 #quorum 1/1",
        {"sentinel_event": "+odown", "master_name": "mymaster", "master_ip": "127.0.0.1",
         "master_port": "61118", "sentinel_detail": "#quorum 1/1"}),
       fields={"redis.instance_type": "master"}),
    _m("sentinel_event", "sentinel-instance",
       r"(?P<sentinel_event>[+-][a-z][\w-]*)\ " + _SENT_INSTANCE + r"\ ?(?P<sentinel_detail>.*)$",
       ("+promoted-slave slave 127.0.0.1:61119 127.0.0.1 61119 @ mymaster 127.0.0.1 61118",
        {"sentinel_event": "+promoted-slave", "instance_type": "slave",
         "instance_name": "127.0.0.1:61119", "instance_ip": "127.0.0.1",
         "instance_port": "61119", "master_name": "mymaster", "master_ip": "127.0.0.1",
         "master_port": "61118", "sentinel_detail": ""})),
    _m("sentinel_event", "sentinel-switch-master",
       r"(?P<sentinel_event>\+switch-master)\ (?P<master_name>\S+)\ (?P<old_master_ip>\S+)\ "
       r"(?P<old_master_port>\d+)\ (?P<master_ip>\S+)\ (?P<master_port>\d+)$",
       ("+switch-master mymaster 127.0.0.1 61118 127.0.0.1 61119",
        {"sentinel_event": "+switch-master", "master_name": "mymaster",
         "old_master_ip": "127.0.0.1", "old_master_port": "61118", "master_ip": "127.0.0.1",
         "master_port": "61119"})),
    _m("sentinel_event", "sentinel-new-epoch",
       r"(?P<sentinel_event>\+new-epoch)\ (?P<epoch>\d+)$",
       ("+new-epoch 1", {"sentinel_event": "+new-epoch", "epoch": "1"})),
    _m("sentinel_event", "sentinel-vote",
       r"(?P<sentinel_event>\+vote-for-leader)\ (?P<leader>[0-9a-f]+)\ (?P<epoch>\d+)$",
       ("+vote-for-leader e0412ea45c049b64969e296a7539dbf2de29e22d 1",
        {"sentinel_event": "+vote-for-leader",
         "leader": "e0412ea45c049b64969e296a7539dbf2de29e22d", "epoch": "1"})),
)

# A module-level table, so tests/test_formats.py checks every message sample too.
MESSAGE_TABLE = LineTable("redis-message", [m.variant for m in MESSAGES])

_LEAD = re.compile(r"[A-Za-z0-9:]+(?:\\\ |$)")


def _lead(message: Message) -> str | None:
    """The literal first word every line of this family starts with, or None.

    ``+``/``-`` stands for every sentinel event; ``None`` puts the family on the short list
    tried when no first word matches (families that start with a number or an alternation).
    """
    pattern = message.variant.pattern
    if pattern.startswith("(?P<sentinel_event>"):
        return "+"
    m = _LEAD.match(pattern)
    if m is None:
        return None
    return m.group(0).removesuffix("\\ ")


def _spec(message: Message) -> tuple[tuple[str, Callable[[str], Any] | None], ...]:
    """(key, converter) per group of the family's pattern, in group order, as the variant
    declares them (a string needs no conversion)."""
    groups = MESSAGE_TABLE.compiled(message.variant).groupindex
    spec = []
    for group in sorted(groups, key=groups.get):
        key, kind = message.variant.fields[group]
        spec.append((key, None if kind == "str" else KINDS[kind]))
    return tuple(spec)


@dataclass(frozen=True)
class _Family:
    message: Message
    regex: re.Pattern[str]
    spec: tuple[tuple[str, Callable[[str], Any] | None], ...]
    post: bool                     # has ip/port pairs or client info to fold


def _index() -> tuple[dict[str, Message], dict[str, tuple[_Family, ...]], tuple[_Family, ...]]:
    """Families by the first word of their lines; the unled ones are tried after any lead's."""
    exact: dict[str, Message] = {}
    by_lead: dict[str, list[_Family]] = {}
    rest: list[_Family] = []
    for message in MESSAGES:
        regex = MESSAGE_TABLE.compiled(message.variant)
        spec = _spec(message)
        post = any(k.endswith(("_ip", "_port", "client_info")) for k, _ in spec)
        fam = _Family(message, regex, spec, post)
        lead = _lead(message)
        if not regex.groupindex:
            for sample in message.variant.samples:
                if regex.fullmatch(sample.line):
                    exact[sample.line] = message
        (by_lead.setdefault(lead, []) if lead else rest).append(fam)
    return (exact, {k: (*v, *rest) for k, v in by_lead.items()}, tuple(rest))


EXACT, BY_LEAD, UNLED = _index()
_NO_FAMILY: set[str] = set()       # messages seen to be plain ``log`` lines (bounded)
_CLIENT_FIELD = re.compile(r"(?:^|\s)(id|addr|laddr|name)=(\S*)")


def _fold(fields: dict[str, Any]) -> None:
    """``x_ip`` + ``x_port`` -> ``x_addr`` ("ip:port"); client info -> client keys."""
    for key in [k for k in fields if k.endswith("_ip")]:
        base = key[:-3]
        port = fields.pop(base + "_port", None)
        ip = fields.pop(key)
        fields[base + "_addr"] = f"{ip}:{port}" if port is not None else ip
    info = fields.pop("redis.client_info", None)
    if info:
        for name, value in _CLIENT_FIELD.findall(info):
            if value:
                fields[f"redis.client_{name}"] = int(value) if name == "id" else value


def classify(message: str) -> tuple[Message, Mapping[str, Any]] | None:
    """The message family of a message text and its keys, or None (a plain ``log`` line)."""
    hit = EXACT.get(message)
    if hit is not None:
        return hit, hit.fields
    if message in _NO_FAMILY:
        return None
    space = message.find(" ")
    lead = message if space < 0 else message[:space]
    if lead[:1] in ("+", "-") and len(lead) > 1:
        lead = "+"
    for fam in BY_LEAD.get(lead, UNLED):
        m = fam.regex.match(message)
        if m is None:
            continue
        fields: dict[str, Any] = {}
        for (key, conv), value in zip(fam.spec, m.groups()):  # noqa: B905 - same length
            if value and value not in UNKNOWN_VALUES:
                fields[key] = value if conv is None else conv(value)
        if fam.post:
            _fold(fields)
        if fam.message.fields:
            fields.update(fam.message.fields)
        return fam.message, fields
    if len(_NO_FAMILY) >= 10_000:
        _NO_FAMILY.clear()
    _NO_FAMILY.add(message)
    return None
