//! COMMAND DOCS for the stream group (transcribed from redis-server 7.0.15).

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("xadd", Doc {
        summary: "Appends a new entry to a stream",
        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        history: &[
            ("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."),
            ("7.0.0", "Added support for the `<ms>-*` explicit ID form."),
        ],
        args: &[
            key("key", 0),
            pure_token("nomkstream", "NOMKSTREAM").since("6.2.0").opt(),
            block("trim", &[
                oneof("strategy", &[
                    pure_token("maxlen", "MAXLEN"),
                    pure_token("minid", "MINID").since("6.2.0"),
                ]),
                oneof("operator", &[
                    pure_token("equal", "="),
                    pure_token("approximately", "~"),
                ]).opt(),
                string("threshold"),
                integer("count").token("LIMIT").since("6.2.0").opt(),
            ]).opt(),
            oneof("id_or_auto", &[
                pure_token("auto_id", "*"),
                string("id"),
            ]),
            block("field_value", &[
                string("field"),
                string("value"),
            ]).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("xrange", Doc {
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        history: &[
            ("6.2.0", "Added exclusive ranges."),
        ],
        args: &[
            key("key", 0),
            string("start"),
            string("end"),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xrevrange", Doc {
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        history: &[
            ("6.2.0", "Added exclusive ranges."),
        ],
        args: &[
            key("key", 0),
            string("end"),
            string("start"),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xlen", Doc {
        summary: "Return the number of entries in a stream",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("xdel", Doc {
        summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
        args: &[
            key("key", 0),
            string("id").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("xtrim", Doc {
        summary: "Trims the stream to (approximately if '~' is passed) a certain size",
        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        history: &[
            ("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."),
        ],
        args: &[
            key("key", 0),
            block("trim", &[
                oneof("strategy", &[
                    pure_token("maxlen", "MAXLEN"),
                    pure_token("minid", "MINID").since("6.2.0"),
                ]),
                oneof("operator", &[
                    pure_token("equal", "="),
                    pure_token("approximately", "~"),
                ]).opt(),
                string("threshold"),
                integer("count").token("LIMIT").since("6.2.0").opt(),
            ]),
        ],
        ..Doc::DEFAULT
    }),
    ("xread", Doc {
        summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        args: &[
            integer("count").token("COUNT").opt(),
            integer("milliseconds").token("BLOCK").opt(),
            block("streams", &[
                key("key", 0).multi(),
                string("id").multi(),
            ]).token("STREAMS"),
        ],
        ..Doc::DEFAULT
    }),
    ("xreadgroup", Doc {
        summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        args: &[
            block("group_consumer", &[
                string("group"),
                string("consumer"),
            ]).token("GROUP"),
            integer("count").token("COUNT").opt(),
            integer("milliseconds").token("BLOCK").opt(),
            pure_token("noack", "NOACK").opt(),
            block("streams", &[
                key("key", 0).multi(),
                string("id").multi(),
            ]).token("STREAMS"),
        ],
        ..Doc::DEFAULT
    }),
    ("xgroup", Doc {
        summary: "A container for consumer groups commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("xgroup|destroy", Doc {
        summary: "Destroy a consumer group.",
        complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        args: &[
            key("key", 0),
            string("groupname"),
        ],
        ..Doc::DEFAULT
    }),
    ("xgroup|createconsumer", Doc {
        summary: "Create a consumer in a consumer group.",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            string("groupname"),
            string("consumername"),
        ],
        ..Doc::DEFAULT
    }),
    ("xgroup|create", Doc {
        summary: "Create a consumer group.",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added the `entries_read` named argument."),
        ],
        args: &[
            key("key", 0),
            string("groupname"),
            oneof("id", &[
                string("id"),
                pure_token("new_id", "$"),
            ]),
            pure_token("mkstream", "MKSTREAM").opt(),
            integer("entries_read").token("ENTRIESREAD").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xgroup|delconsumer", Doc {
        summary: "Delete a consumer from a consumer group.",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            string("groupname"),
            string("consumername"),
        ],
        ..Doc::DEFAULT
    }),
    ("xgroup|setid", Doc {
        summary: "Set a consumer group to an arbitrary last delivered ID value.",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added the optional `entries_read` argument."),
        ],
        args: &[
            key("key", 0),
            string("groupname"),
            oneof("id", &[
                string("id"),
                pure_token("new_id", "$"),
            ]),
            integer("entries_read").token("ENTRIESREAD").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xgroup|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("xack", Doc {
        summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        complexity: "O(1) for each message ID processed.",
        args: &[
            key("key", 0),
            string("group"),
            string("id").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("xpending", Doc {
        summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        history: &[
            ("6.2.0", "Added the `IDLE` option and exclusive range intervals."),
        ],
        args: &[
            key("key", 0),
            string("group"),
            block("filters", &[
                integer("min-idle-time").token("IDLE").since("6.2.0").opt(),
                string("start"),
                string("end"),
                integer("count"),
                string("consumer").opt(),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xclaim", Doc {
        summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
        args: &[
            key("key", 0),
            string("group"),
            string("consumer"),
            string("min-idle-time"),
            string("id").multi(),
            integer("ms").token("IDLE").opt(),
            unix_time("unix-time-milliseconds").token("TIME").opt(),
            integer("count").token("RETRYCOUNT").opt(),
            pure_token("force", "FORCE").opt(),
            pure_token("justid", "JUSTID").opt(),
            string("id").token("LASTID").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xautoclaim", Doc {
        summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        complexity: "O(1) if COUNT is small.",
        history: &[
            ("7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL"),
        ],
        args: &[
            key("key", 0),
            string("group"),
            string("consumer"),
            string("min-idle-time"),
            string("start"),
            integer("count").token("COUNT").opt(),
            pure_token("justid", "JUSTID").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xinfo", Doc {
        summary: "A container for stream introspection commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("xinfo|groups", Doc {
        summary: "List the consumer groups of a stream",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added the `entries-read` and `lag` fields"),
        ],
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("xinfo|stream", Doc {
        summary: "Get information about a stream",
        complexity: "O(1)",
        history: &[
            ("6.0.0", "Added the `FULL` modifier."),
            ("7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields"),
        ],
        args: &[
            key("key", 0),
            block("full", &[
                integer("count").token("COUNT").opt(),
            ]).token("FULL").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("xinfo|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("xinfo|consumers", Doc {
        summary: "List the consumers in a consumer group",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            string("groupname"),
        ],
        ..Doc::DEFAULT
    }),
    ("xsetid", Doc {
        summary: "An internal command for replicating stream values",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."),
        ],
        args: &[
            key("key", 0),
            string("last-id"),
            integer("entries_added").token("ENTRIESADDED").since("7.0.0").opt(),
            string("max_deleted_entry_id").token("MAXDELETEDID").since("7.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
