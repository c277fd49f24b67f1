//! COMMAND DOCS for the hyperloglog group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("pfadd", Doc {
        summary: "Adds the specified elements to the specified HyperLogLog.",
        complexity: "O(1) to add every element.",
        args: &[
            key("key", 0),
            string("element").opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("pfcount", Doc {
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("pfmerge", Doc {
        summary: "Merge N different HyperLogLogs into a single one.",
        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
        args: &[
            key("destkey", 0),
            key("sourcekey", 1).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("pfdebug", Doc {
        summary: "Internal commands for debugging HyperLogLog values",
        complexity: "N/A",
        doc_flags: &["syscmd"],
        args: &[
            string("subcommand"),
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("pfselftest", Doc {
        summary: "An internal command for testing HyperLogLog values",
        complexity: "N/A",
        doc_flags: &["syscmd"],
        ..Doc::DEFAULT
    }),
];
