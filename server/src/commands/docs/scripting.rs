//! COMMAND DOCS for the scripting group (EVAL family, SCRIPT, FUNCTION, FCALL).

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("eval", Doc {
        summary: "Execute a Lua script server side",
        complexity: "Depends on the script that is executed.",
        args: &[
            string("script"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("evalsha", Doc {
        summary: "Execute a Lua script server side",
        complexity: "Depends on the script that is executed.",
        args: &[
            string("sha1"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("eval_ro", Doc {
        summary: "Execute a read-only Lua script server side",
        complexity: "Depends on the script that is executed.",
        args: &[
            string("script"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("evalsha_ro", Doc {
        summary: "Execute a read-only Lua script server side",
        complexity: "Depends on the script that is executed.",
        args: &[
            string("sha1"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("fcall", Doc {
        summary: "Invoke a function",
        complexity: "Depends on the function that is executed.",
        args: &[
            string("function"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("fcall_ro", Doc {
        summary: "Invoke a read-only function",
        complexity: "Depends on the function that is executed.",
        args: &[
            string("function"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("script", Doc {
        summary: "A container for Lua scripts management commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("script|flush", Doc {
        summary: "Remove all the scripts from the script cache.",
        complexity: "O(N) with N being the number of scripts in cache",
        history: &[("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")],
        args: &[
            oneof("async", &[
                pure_token("async", "ASYNC"),
                pure_token("sync", "SYNC"),
            ]).since("6.2.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("script|exists", Doc {
        summary: "Check existence of scripts in the script cache.",
        complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
        args: &[
            string("sha1").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("script|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("script|debug", Doc {
        summary: "Set the debug mode for executed scripts.",
        complexity: "O(1)",
        args: &[
            oneof("mode", &[
                pure_token("yes", "YES"),
                pure_token("sync", "SYNC"),
                pure_token("no", "NO"),
            ]),
        ],
        ..Doc::DEFAULT
    }),
    ("script|load", Doc {
        summary: "Load the specified Lua script into the script cache.",
        complexity: "O(N) with N being the length in bytes of the script body.",
        args: &[
            string("script"),
        ],
        ..Doc::DEFAULT
    }),
    ("script|kill", Doc {
        summary: "Kill the script currently in execution.",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("function", Doc {
        summary: "A container for function commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("function|flush", Doc {
        summary: "Deleting all functions",
        complexity: "O(N) where N is the number of functions deleted",
        args: &[
            oneof("async", &[
                pure_token("async", "ASYNC"),
                pure_token("sync", "SYNC"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("function|load", Doc {
        summary: "Create a function with the given arguments (name, code, description)",
        complexity: "O(1) (considering compilation time is redundant)",
        args: &[
            pure_token("replace", "REPLACE").opt(),
            string("function-code"),
        ],
        ..Doc::DEFAULT
    }),
    ("function|delete", Doc {
        summary: "Delete a function by name",
        complexity: "O(1)",
        args: &[
            string("library-name"),
        ],
        ..Doc::DEFAULT
    }),
    ("function|kill", Doc {
        summary: "Kill the function currently in execution.",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("function|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("function|dump", Doc {
        summary: "Dump all functions into a serialized binary payload",
        complexity: "O(N) where N is the number of functions",
        ..Doc::DEFAULT
    }),
    ("function|list", Doc {
        summary: "List information about all the functions",
        complexity: "O(N) where N is the number of functions",
        args: &[
            string("library-name-pattern").token("LIBRARYNAME").opt(),
            pure_token("withcode", "WITHCODE").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("function|restore", Doc {
        summary: "Restore all the functions on the given payload",
        complexity: "O(N) where N is the number of functions on the payload",
        args: &[
            string("serialized-value"),
            oneof("policy", &[
                pure_token("flush", "FLUSH"),
                pure_token("append", "APPEND"),
                pure_token("replace", "REPLACE"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("function|stats", Doc {
        summary: "Return information about the function currently running (name, description, duration)",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
];
