//! COMMAND DOCS for the server group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("flushdb", Doc {
        summary: "Remove all keys from the current database",
        complexity: "O(N) where N is the number of keys in the selected database",
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        args: &[
            oneof("async", &[
                pure_token("async", "ASYNC").since("4.0.0"),
                pure_token("sync", "SYNC").since("6.2.0"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("flushall", Doc {
        summary: "Remove all keys from all databases",
        complexity: "O(N) where N is the total number of keys in all databases",
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        args: &[
            oneof("async", &[
                pure_token("async", "ASYNC").since("4.0.0"),
                pure_token("sync", "SYNC").since("6.2.0"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("dbsize", Doc {
        summary: "Return the number of keys in the selected database",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("swapdb", Doc {
        summary: "Swaps two Redis databases",
        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        args: &[
            integer("index1"),
            integer("index2"),
        ],
        ..Doc::DEFAULT
    }),
    ("info", Doc {
        summary: "Get information and statistics about the server",
        complexity: "O(1)",
        history: &[
            ("7.0.0", "Added support for taking multiple section arguments."),
        ],
        args: &[
            string("section").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("time", Doc {
        summary: "Return the current server time",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("bgsave", Doc {
        summary: "Asynchronously save the dataset to disk",
        complexity: "O(1)",
        history: &[
            ("3.2.2", "Added the `SCHEDULE` option."),
        ],
        args: &[
            pure_token("schedule", "SCHEDULE").since("3.2.2").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("bgrewriteaof", Doc {
        summary: "Asynchronously rewrite the append-only file",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("save", Doc {
        summary: "Synchronously save the dataset to disk",
        complexity: "O(N) where N is the total number of keys in all databases",
        ..Doc::DEFAULT
    }),
    ("lastsave", Doc {
        summary: "Get the UNIX time stamp of the last successful save to disk",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("shutdown", Doc {
        summary: "Synchronously save the dataset to disk and then shut down the server",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        history: &[
            ("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),
        ],
        args: &[
            oneof("nosave_save", &[
                pure_token("nosave", "NOSAVE"),
                pure_token("save", "SAVE"),
            ]).opt(),
            pure_token("now", "NOW").since("7.0.0").opt(),
            pure_token("force", "FORCE").since("7.0.0").opt(),
            pure_token("abort", "ABORT").since("7.0.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("debug", Doc {
        summary: "A container for debugging commands",
        complexity: "Depends on subcommand.",
        doc_flags: &["syscmd"],
        ..Doc::DEFAULT
    }),
    ("config", Doc {
        summary: "A container for server configuration commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("config|get", Doc {
        summary: "Get the values of configuration parameters",
        complexity: "O(N) when N is the number of configuration parameters provided",
        history: &[
            ("7.0.0", "Added the ability to pass multiple pattern parameters in one call"),
        ],
        args: &[
            block("parameter", &[
                string("parameter"),
            ]).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("config|set", Doc {
        summary: "Set configuration parameters to the given values",
        complexity: "O(N) when N is the number of configuration parameters provided",
        history: &[
            ("7.0.0", "Added the ability to set multiple parameters in one call."),
        ],
        args: &[
            block("parameter_value", &[
                string("parameter"),
                string("value"),
            ]).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("config|resetstat", Doc {
        summary: "Reset the stats returned by INFO",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("config|rewrite", Doc {
        summary: "Rewrite the configuration file with the in memory configuration",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("config|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("command", Doc {
        summary: "Get array of Redis command details",
        complexity: "O(N) where N is the total number of Redis commands",
        ..Doc::DEFAULT
    }),
    ("command|count", Doc {
        summary: "Get total number of Redis commands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("command|docs", Doc {
        summary: "Get array of specific Redis command documentation",
        complexity: "O(N) where N is the number of commands to look up",
        args: &[
            string("command-name").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("command|getkeys", Doc {
        summary: "Extract keys given a full Redis command",
        complexity: "O(N) where N is the number of arguments to the command",
        ..Doc::DEFAULT
    }),
    ("command|getkeysandflags", Doc {
        summary: "Extract keys and access flags given a full Redis command",
        complexity: "O(N) where N is the number of arguments to the command",
        ..Doc::DEFAULT
    }),
    ("command|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("command|info", Doc {
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        complexity: "O(N) where N is the number of commands to look up",
        history: &[
            ("7.0.0", "Allowed to be called with no argument to get info on all commands."),
        ],
        args: &[
            string("command-name").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("command|list", Doc {
        summary: "Get an array of Redis command names",
        complexity: "O(N) where N is the total number of Redis commands",
        args: &[
            oneof("filterby", &[
                string("module-name").token("MODULE"),
                string("category").token("ACLCAT"),
                pattern("pattern").token("PATTERN"),
            ]).token("FILTERBY").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("client", Doc {
        summary: "A container for client connection commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("client|id", Doc {
        summary: "Returns the client ID for the current connection",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("client|setname", Doc {
        summary: "Set the current connection name",
        complexity: "O(1)",
        args: &[
            string("connection-name"),
        ],
        ..Doc::DEFAULT
    }),
    ("client|getname", Doc {
        summary: "Get the current connection name",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("client|list", Doc {
        summary: "Get the list of client connections",
        complexity: "O(N) where N is the number of client connections",
        history: &[
            ("2.8.12", "Added unique client `id` field."),
            ("5.0.0", "Added optional `TYPE` filter."),
            ("6.0.0", "Added `user` field."),
            ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."),
            ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
            ("7.0.3", "Added `ssub` field."),
        ],
        args: &[
            oneof("normal_master_replica_pubsub", &[
                pure_token("normal", "NORMAL"),
                pure_token("master", "MASTER"),
                pure_token("replica", "REPLICA"),
                pure_token("pubsub", "PUBSUB"),
            ]).token("TYPE").since("5.0.0").opt(),
            block("id", &[
                integer("client-id").multi(),
            ]).token("ID").since("6.2.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("client|info", Doc {
        summary: "Returns information about the current client connection.",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("client|kill", Doc {
        summary: "Kill the connection of a client",
        complexity: "O(N) where N is the number of client connections",
        history: &[
            ("2.8.12", "Added new filter format."),
            ("2.8.12", "`ID` option."),
            ("3.2.0", "Added `master` type in for `TYPE` option."),
            ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."),
            ("6.2.0", "`LADDR` option."),
        ],
        args: &[
            oneof("filter", &[
                string("ip:port").deprecated("2.8.12"),
                oneof("new-format", &[
                    integer("client-id").token("ID").since("2.8.12").opt(),
                    oneof("normal_master_slave_pubsub", &[
                        pure_token("normal", "NORMAL"),
                        pure_token("master", "MASTER").since("3.2.0"),
                        pure_token("slave", "SLAVE"),
                        pure_token("replica", "REPLICA").since("5.0.0"),
                        pure_token("pubsub", "PUBSUB"),
                    ]).token("TYPE").since("2.8.12").opt(),
                    string("username").token("USER").opt(),
                    string("ip:port").token("ADDR").opt(),
                    string("ip:port").token("LADDR").since("6.2.0").opt(),
                    string("yes/no").token("SKIPME").opt(),
                ]).multi(),
            ]),
        ],
        ..Doc::DEFAULT
    }),
    ("client|pause", Doc {
        summary: "Stop processing commands from clients for some time",
        complexity: "O(1)",
        history: &[
            ("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."),
        ],
        args: &[
            integer("timeout"),
            oneof("mode", &[
                pure_token("write", "WRITE"),
                pure_token("all", "ALL"),
            ]).since("6.2.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("client|unpause", Doc {
        summary: "Resume processing of clients that were paused",
        complexity: "O(N) Where N is the number of paused clients",
        ..Doc::DEFAULT
    }),
    ("client|reply", Doc {
        summary: "Instruct the server whether to reply to commands",
        complexity: "O(1)",
        args: &[
            oneof("on_off_skip", &[
                pure_token("on", "ON"),
                pure_token("off", "OFF"),
                pure_token("skip", "SKIP"),
            ]),
        ],
        ..Doc::DEFAULT
    }),
    ("client|no-evict", Doc {
        summary: "Set client eviction mode for the current connection",
        complexity: "O(1)",
        args: &[
            oneof("enabled", &[
                pure_token("on", "ON"),
                pure_token("off", "OFF"),
            ]),
        ],
        ..Doc::DEFAULT
    }),
    ("client|unblock", Doc {
        summary: "Unblock a client blocked in a blocking command from a different connection",
        complexity: "O(log N) where N is the number of client connections",
        args: &[
            integer("client-id"),
            oneof("timeout_error", &[
                pure_token("timeout", "TIMEOUT"),
                pure_token("error", "ERROR"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("client|tracking", Doc {
        summary: "Enable or disable server assisted client side caching support",
        complexity: "O(1). Some options may introduce additional complexity.",
        args: &[
            oneof("status", &[
                pure_token("on", "ON"),
                pure_token("off", "OFF"),
            ]),
            integer("client-id").token("REDIRECT").opt(),
            string("prefix").token("PREFIX").opt().multi().multi_token(),
            pure_token("bcast", "BCAST").opt(),
            pure_token("optin", "OPTIN").opt(),
            pure_token("optout", "OPTOUT").opt(),
            pure_token("noloop", "NOLOOP").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("client|caching", Doc {
        summary: "Instruct the server about tracking or not keys in the next request",
        complexity: "O(1)",
        args: &[
            oneof("mode", &[
                pure_token("yes", "YES"),
                pure_token("no", "NO"),
            ]),
        ],
        ..Doc::DEFAULT
    }),
    ("client|getredir", Doc {
        summary: "Get tracking notifications redirection client ID if any",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("client|trackinginfo", Doc {
        summary: "Return information about server assisted client side caching for the current connection",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("client|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
];
