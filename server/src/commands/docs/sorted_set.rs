//! COMMAND DOCS for the sorted-set group (transcribed from redis-server 7.0.15).

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("zadd", Doc {
        summary: "Add one or more members to a sorted set, or update its score if it already exists",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        history: &[
            ("2.4.0", "Accepts multiple elements."),
            ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
            ("6.2.0", "Added the `GT` and `LT` options."),
        ],
        args: &[
            key("key", 0),
            oneof("condition", &[
                pure_token("nx", "NX"),
                pure_token("xx", "XX"),
            ]).since("3.0.2").opt(),
            oneof("comparison", &[
                pure_token("gt", "GT"),
                pure_token("lt", "LT"),
            ]).since("6.2.0").opt(),
            pure_token("change", "CH").since("3.0.2").opt(),
            pure_token("increment", "INCR").since("3.0.2").opt(),
            block("score_member", &[
                double("score"),
                string("member"),
            ]).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("zincrby", Doc {
        summary: "Increment the score of a member in a sorted set",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        args: &[
            key("key", 0),
            integer("increment"),
            string("member"),
        ],
        ..Doc::DEFAULT
    }),
    ("zrem", Doc {
        summary: "Remove one or more members from a sorted set",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        history: &[
            ("2.4.0", "Accepts multiple elements."),
        ],
        args: &[
            key("key", 0),
            string("member").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("zcard", Doc {
        summary: "Get the number of members in a sorted set",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("zscore", Doc {
        summary: "Get the score associated with the given member in a sorted set",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            string("member"),
        ],
        ..Doc::DEFAULT
    }),
    ("zmscore", Doc {
        summary: "Get the score associated with the given members in a sorted set",
        complexity: "O(N) where N is the number of members being requested.",
        args: &[
            key("key", 0),
            string("member").multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("zcount", Doc {
        summary: "Count the members in a sorted set with scores within the given values",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        args: &[
            key("key", 0),
            double("min"),
            double("max"),
        ],
        ..Doc::DEFAULT
    }),
    ("zrank", Doc {
        summary: "Determine the index of a member in a sorted set",
        complexity: "O(log(N))",
        args: &[
            key("key", 0),
            string("member"),
        ],
        ..Doc::DEFAULT
    }),
    ("zrevrank", Doc {
        summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
        complexity: "O(log(N))",
        args: &[
            key("key", 0),
            string("member"),
        ],
        ..Doc::DEFAULT
    }),
    ("zrange", Doc {
        summary: "Return a range of members in a sorted set",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        history: &[
            ("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."),
        ],
        args: &[
            key("key", 0),
            string("start"),
            string("stop"),
            oneof("sortby", &[
                pure_token("byscore", "BYSCORE"),
                pure_token("bylex", "BYLEX"),
            ]).since("6.2.0").opt(),
            pure_token("rev", "REV").since("6.2.0").opt(),
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").since("6.2.0").opt(),
            pure_token("withscores", "WITHSCORES").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zrevrange", Doc {
        summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `REV` argument",
        args: &[
            key("key", 0),
            integer("start"),
            integer("stop"),
            pure_token("withscores", "WITHSCORES").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zrangebyscore", Doc {
        summary: "Return a range of members in a sorted set, by score",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `BYSCORE` argument",
        history: &[
            ("2.0.0", "Added the `WITHSCORES` modifier."),
        ],
        args: &[
            key("key", 0),
            double("min"),
            double("max"),
            pure_token("withscores", "WITHSCORES").since("2.0.0").opt(),
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").opt(),
        ],
    }),
    ("zrevrangebyscore", Doc {
        summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
        history: &[
            ("2.1.6", "`min` and `max` can be exclusive."),
        ],
        args: &[
            key("key", 0),
            double("max"),
            double("min"),
            pure_token("withscores", "WITHSCORES").opt(),
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").opt(),
        ],
    }),
    ("zrangebylex", Doc {
        summary: "Return a range of members in a sorted set, by lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `BYLEX` argument",
        args: &[
            key("key", 0),
            string("min"),
            string("max"),
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zrevrangebylex", Doc {
        summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `REV` and `BYLEX` arguments",
        args: &[
            key("key", 0),
            string("max"),
            string("min"),
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zlexcount", Doc {
        summary: "Count the number of members in a sorted set between a given lexicographical range",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        args: &[
            key("key", 0),
            string("min"),
            string("max"),
        ],
        ..Doc::DEFAULT
    }),
    ("zrangestore", Doc {
        summary: "Store a range of members from sorted set into another key",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        args: &[
            key("dst", 0),
            key("src", 1),
            string("min"),
            string("max"),
            oneof("sortby", &[
                pure_token("byscore", "BYSCORE"),
                pure_token("bylex", "BYLEX"),
            ]).opt(),
            pure_token("rev", "REV").opt(),
            block("offset_count", &[
                integer("offset"),
                integer("count"),
            ]).token("LIMIT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zremrangebyrank", Doc {
        summary: "Remove all members in a sorted set within the given indexes",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        args: &[
            key("key", 0),
            integer("start"),
            integer("stop"),
        ],
        ..Doc::DEFAULT
    }),
    ("zremrangebyscore", Doc {
        summary: "Remove all members in a sorted set within the given scores",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        args: &[
            key("key", 0),
            double("min"),
            double("max"),
        ],
        ..Doc::DEFAULT
    }),
    ("zremrangebylex", Doc {
        summary: "Remove all members in a sorted set between the given lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        args: &[
            key("key", 0),
            string("min"),
            string("max"),
        ],
        ..Doc::DEFAULT
    }),
    ("zpopmin", Doc {
        summary: "Remove and return members with the lowest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        args: &[
            key("key", 0),
            integer("count").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zpopmax", Doc {
        summary: "Remove and return members with the highest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        args: &[
            key("key", 0),
            integer("count").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zmpop", Doc {
        summary: "Remove and return members with scores in a sorted set",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        args: &[
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where", &[
                pure_token("min", "MIN"),
                pure_token("max", "MAX"),
            ]),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zunion", Doc {
        summary: "Add multiple sorted sets",
        complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        args: &[
            integer("numkeys"),
            key("key", 0).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate", &[
                pure_token("sum", "SUM"),
                pure_token("min", "MIN"),
                pure_token("max", "MAX"),
            ]).token("AGGREGATE").opt(),
            pure_token("withscores", "WITHSCORES").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zinter", Doc {
        summary: "Intersect multiple sorted sets",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        args: &[
            integer("numkeys"),
            key("key", 0).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate", &[
                pure_token("sum", "SUM"),
                pure_token("min", "MIN"),
                pure_token("max", "MAX"),
            ]).token("AGGREGATE").opt(),
            pure_token("withscores", "WITHSCORES").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zdiff", Doc {
        summary: "Subtract multiple sorted sets",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        args: &[
            integer("numkeys"),
            key("key", 0).multi(),
            pure_token("withscores", "WITHSCORES").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zunionstore", Doc {
        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        args: &[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate", &[
                pure_token("sum", "SUM"),
                pure_token("min", "MIN"),
                pure_token("max", "MAX"),
            ]).token("AGGREGATE").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zinterstore", Doc {
        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        args: &[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate", &[
                pure_token("sum", "SUM"),
                pure_token("min", "MIN"),
                pure_token("max", "MAX"),
            ]).token("AGGREGATE").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zdiffstore", Doc {
        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        args: &[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("zintercard", Doc {
        summary: "Intersect multiple sorted sets and return the cardinality of the result",
        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        args: &[
            integer("numkeys"),
            key("key", 0).multi(),
            integer("limit").token("LIMIT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zrandmember", Doc {
        summary: "Get one or multiple random elements from a sorted set",
        complexity: "O(N) where N is the number of elements returned",
        args: &[
            key("key", 0),
            block("options", &[
                integer("count"),
                pure_token("withscores", "WITHSCORES").opt(),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("zscan", Doc {
        summary: "Incrementally iterate sorted sets elements and associated scores",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        args: &[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").opt(),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("bzpopmin", Doc {
        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        history: &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")],
        args: &[
            key("key", 0).multi(),
            double("timeout"),
        ],
        ..Doc::DEFAULT
    }),
    ("bzpopmax", Doc {
        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        history: &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")],
        args: &[
            key("key", 0).multi(),
            double("timeout"),
        ],
        ..Doc::DEFAULT
    }),
    ("bzmpop", Doc {
        summary: "Remove and return members with scores in a sorted set or block until one is available",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        args: &[
            double("timeout"),
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where", &[
                pure_token("min", "MIN"),
                pure_token("max", "MAX"),
            ]),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
