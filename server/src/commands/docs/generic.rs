//! COMMAND DOCS for the generic group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("del", Doc {
        summary: "Delete a key",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("unlink", Doc {
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("exists", Doc {
        summary: "Determine if a key exists",
        complexity: "O(N) where N is the number of keys to check.",
        history: &[
            ("3.0.3", "Accepts multiple `key` arguments."),
        ],
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("type", Doc {
        summary: "Determine the type stored at key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("rename", Doc {
        summary: "Rename a key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            key("newkey", 1),
        ],
        ..Doc::DEFAULT
    }),
    ("renamenx", Doc {
        summary: "Rename a key, only if the new key does not exist",
        complexity: "O(1)",
        history: &[
            ("3.2.0", "The command no longer returns an error when source and destination names are the same."),
        ],
        args: &[
            key("key", 0),
            key("newkey", 1),
        ],
        ..Doc::DEFAULT
    }),
    ("move", Doc {
        summary: "Move a key to another database",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            integer("db"),
        ],
        ..Doc::DEFAULT
    }),
    ("copy", Doc {
        summary: "Copy a key",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        args: &[
            key("source", 0),
            key("destination", 1),
            integer("destination-db").token("DB").opt(),
            pure_token("replace", "REPLACE").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("keys", Doc {
        summary: "Find all keys matching the given pattern",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        args: &[
            pattern("pattern"),
        ],
        ..Doc::DEFAULT
    }),
    ("scan", Doc {
        summary: "Incrementally iterate the keys space",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        history: &[
            ("6.0.0", "Added the `TYPE` subcommand."),
        ],
        args: &[
            integer("cursor"),
            pattern("pattern").token("MATCH").opt(),
            integer("count").token("COUNT").opt(),
            string("type").token("TYPE").since("6.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("randomkey", Doc {
        summary: "Return a random key from the keyspace",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("touch", Doc {
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        complexity: "O(N) where N is the number of keys that will be touched.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("object", Doc {
        summary: "A container for object introspection commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("object|encoding", Doc {
        summary: "Inspect the internal encoding of a Redis object",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("object|refcount", Doc {
        summary: "Get the number of references to the value of the key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("object|idletime", Doc {
        summary: "Get the time since a Redis object was last accessed",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("object|freq", Doc {
        summary: "Get the logarithmic access frequency counter of a Redis object",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("object|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("expire", Doc {
        summary: "Set a key's time to live in seconds",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
        ],
        args: &[
            key("key", 0),
            integer("seconds"),
            oneof("condition", &[
                pure_token("nx", "NX"),
                pure_token("xx", "XX"),
                pure_token("gt", "GT"),
                pure_token("lt", "LT"),
            ]).since("7.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("pexpire", Doc {
        summary: "Set a key's time to live in milliseconds",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
        ],
        args: &[
            key("key", 0),
            integer("milliseconds"),
            oneof("condition", &[
                pure_token("nx", "NX"),
                pure_token("xx", "XX"),
                pure_token("gt", "GT"),
                pure_token("lt", "LT"),
            ]).since("7.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("expireat", Doc {
        summary: "Set the expiration for a key as a UNIX timestamp",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
        ],
        args: &[
            key("key", 0),
            unix_time("unix-time-seconds"),
            oneof("condition", &[
                pure_token("nx", "NX"),
                pure_token("xx", "XX"),
                pure_token("gt", "GT"),
                pure_token("lt", "LT"),
            ]).since("7.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("pexpireat", Doc {
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
        ],
        args: &[
            key("key", 0),
            unix_time("unix-time-milliseconds"),
            oneof("condition", &[
                pure_token("nx", "NX"),
                pure_token("xx", "XX"),
                pure_token("gt", "GT"),
                pure_token("lt", "LT"),
            ]).since("7.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("ttl", Doc {
        summary: "Get the time to live for a key in seconds",
        complexity: "O(1)",
        history: &[
            ("2.8.0", "Added the -2 reply."),
        ],
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("pttl", Doc {
        summary: "Get the time to live for a key in milliseconds",
        complexity: "O(1)",
        history: &[
            ("2.8.0", "Added the -2 reply."),
        ],
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("expiretime", Doc {
        summary: "Get the expiration Unix timestamp for a key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("pexpiretime", Doc {
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("persist", Doc {
        summary: "Remove the expiration from a key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("dump", Doc {
        summary: "Return a serialized version of the value stored at the specified key.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("restore", Doc {
        summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        history: &[
            ("3.0.0", "Added the `REPLACE` modifier."),
            ("5.0.0", "Added the `ABSTTL` modifier."),
            ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
        ],
        args: &[
            key("key", 0),
            integer("ttl"),
            string("serialized-value"),
            pure_token("replace", "REPLACE").since("3.0.0").opt(),
            pure_token("absttl", "ABSTTL").since("5.0.0").opt(),
            integer("seconds").token("IDLETIME").since("5.0.0").opt(),
            integer("frequency").token("FREQ").since("5.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
