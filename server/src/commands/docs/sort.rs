//! COMMAND DOCS for SORT and SORT_RO (generic group).

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("sort", Doc {
        summary: "Sort the elements in a list, set or sorted set",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        args: &[
            key("key", 0),
            Arg { key_spec_index: 1, ..pattern("pattern").token("BY").opt() },
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").opt(),
            Arg { key_spec_index: 1, ..pattern("pattern").token("GET").opt().multi().multi_token() },
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
            pure_token("sorting", "ALPHA").opt(),
            key("destination", 2).token("STORE").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("sort_ro", Doc {
        summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        args: &[
            key("key", 0),
            Arg { key_spec_index: 1, ..pattern("pattern").token("BY").opt() },
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").opt(),
            Arg { key_spec_index: 1, ..pattern("pattern").token("GET").opt().multi().multi_token() },
            oneof("order", &[
                pure_token("asc", "ASC"),
                pure_token("desc", "DESC"),
            ]).opt(),
            pure_token("sorting", "ALPHA").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
