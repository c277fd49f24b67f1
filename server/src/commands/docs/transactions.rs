//! COMMAND DOCS for the transactions group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("multi", Doc {
        summary: "Mark the start of a transaction block",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("exec", Doc {
        summary: "Execute all commands issued after MULTI",
        complexity: "Depends on commands in the transaction",
        ..Doc::DEFAULT
    }),
    ("discard", Doc {
        summary: "Discard all commands issued after MULTI",
        complexity: "O(N), when N is the number of queued commands",
        ..Doc::DEFAULT
    }),
    ("watch", Doc {
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        complexity: "O(1) for every key.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("unwatch", Doc {
        summary: "Forget about all watched keys",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
];
