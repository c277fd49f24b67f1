//! COMMAND DOCS for the set group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("sadd", Doc {
        summary: "Add one or more members to a set",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        history: &[
            ("2.4.0", "Accepts multiple `member` arguments."),
        ],
        args: &[
            key("key", 0),
            string("member").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("srem", Doc {
        summary: "Remove one or more members from a set",
        complexity: "O(N) where N is the number of members to be removed.",
        history: &[
            ("2.4.0", "Accepts multiple `member` arguments."),
        ],
        args: &[
            key("key", 0),
            string("member").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("scard", Doc {
        summary: "Get the number of members in a set",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("sismember", Doc {
        summary: "Determine if a given value is a member of a set",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            string("member"),
        ],
        ..Doc::DEFAULT
    }),
    ("smismember", Doc {
        summary: "Returns the membership associated with the given elements for a set",
        complexity: "O(N) where N is the number of elements being checked for membership",
        args: &[
            key("key", 0),
            string("member").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("smembers", Doc {
        summary: "Get all the members in a set",
        complexity: "O(N) where N is the set cardinality.",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("srandmember", Doc {
        summary: "Get one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        history: &[
            ("2.6.0", "Added the optional `count` argument."),
        ],
        args: &[
            key("key", 0),
            integer("count").since("2.6.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("spop", Doc {
        summary: "Remove and return one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        history: &[
            ("3.2.0", "Added the `count` argument."),
        ],
        args: &[
            key("key", 0),
            integer("count").since("3.2.0").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("smove", Doc {
        summary: "Move a member from one set to another",
        complexity: "O(1)",
        args: &[
            key("source", 0),
            key("destination", 1),
            string("member"),
        ],
        ..Doc::DEFAULT
    }),
    ("sinter", Doc {
        summary: "Intersect multiple sets",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("sintercard", Doc {
        summary: "Intersect multiple sets and return the cardinality of the result",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        args: &[
            integer("numkeys"),
            key("key", 0).multi(),
            integer("limit").token("LIMIT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("sinterstore", Doc {
        summary: "Intersect multiple sets and store the resulting set in a key",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        args: &[
            key("destination", 0),
            key("key", 1).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("sunion", Doc {
        summary: "Add multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("sunionstore", Doc {
        summary: "Add multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        args: &[
            key("destination", 0),
            key("key", 1).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("sdiff", Doc {
        summary: "Subtract multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("sdiffstore", Doc {
        summary: "Subtract multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        args: &[
            key("destination", 0),
            key("key", 1).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("sscan", Doc {
        summary: "Incrementally iterate Set elements",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        args: &[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").opt(),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
