//! COMMAND DOCS for the string group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("get", Doc {
        summary: "Get the value of a key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("set", Doc {
        summary: "Set the string value of a key",
        complexity: "O(1)",
        history: &[
            ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
            ("6.0.0", "Added the `KEEPTTL` option."),
            ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
            ("7.0.0", "Allowed the `NX` and `GET` options to be used together."),
        ],
        args: &[
            key("key", 0),
            string("value"),
            oneof("condition", &[
                pure_token("nx", "NX"),
                pure_token("xx", "XX"),
            ]).since("2.6.12").opt(),
            pure_token("get", "GET").since("6.2.0").opt(),
            oneof("expiration", &[
                integer("seconds").token("EX").since("2.6.12"),
                integer("milliseconds").token("PX").since("2.6.12"),
                unix_time("unix-time-seconds").token("EXAT").since("6.2.0"),
                unix_time("unix-time-milliseconds").token("PXAT").since("6.2.0"),
                pure_token("keepttl", "KEEPTTL").since("6.0.0"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("setnx", Doc {
        summary: "Set the value of a key, only if the key does not exist",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            string("value"),
        ],
        ..Doc::DEFAULT
    }),
    ("setex", Doc {
        summary: "Set the value and expiration of a key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            integer("seconds"),
            string("value"),
        ],
        ..Doc::DEFAULT
    }),
    ("psetex", Doc {
        summary: "Set the value and expiration in milliseconds of a key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            integer("milliseconds"),
            string("value"),
        ],
        ..Doc::DEFAULT
    }),
    ("mget", Doc {
        summary: "Get the values of all the given keys",
        complexity: "O(N) where N is the number of keys to retrieve.",
        args: &[
            key("key", 0).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("mset", Doc {
        summary: "Set multiple keys to multiple values",
        complexity: "O(N) where N is the number of keys to set.",
        args: &[
            block("key_value", &[
                key("key", 0),
                string("value"),
            ]).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("msetnx", Doc {
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        complexity: "O(N) where N is the number of keys to set.",
        args: &[
            block("key_value", &[
                key("key", 0),
                string("value"),
            ]).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("getset", Doc {
        summary: "Set the string value of a key and return its old value",
        complexity: "O(1)",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`SET` with the `!GET` argument",
        args: &[
            key("key", 0),
            string("value"),
        ],
        ..Doc::DEFAULT
    }),
    ("getdel", Doc {
        summary: "Get the value of a key and delete the key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("getex", Doc {
        summary: "Get the value of a key and optionally set its expiration",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            oneof("expiration", &[
                integer("seconds").token("EX"),
                integer("milliseconds").token("PX"),
                unix_time("unix-time-seconds").token("EXAT"),
                unix_time("unix-time-milliseconds").token("PXAT"),
                pure_token("persist", "PERSIST"),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("append", Doc {
        summary: "Append a value to a key",
        complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        args: &[
            key("key", 0),
            string("value"),
        ],
        ..Doc::DEFAULT
    }),
    ("strlen", Doc {
        summary: "Get the length of the value stored in a key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("incr", Doc {
        summary: "Increment the integer value of a key by one",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("decr", Doc {
        summary: "Decrement the integer value of a key by one",
        complexity: "O(1)",
        args: &[
            key("key", 0),
        ],
        ..Doc::DEFAULT
    }),
    ("incrby", Doc {
        summary: "Increment the integer value of a key by the given amount",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            integer("increment"),
        ],
        ..Doc::DEFAULT
    }),
    ("decrby", Doc {
        summary: "Decrement the integer value of a key by the given number",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            integer("decrement"),
        ],
        ..Doc::DEFAULT
    }),
    ("incrbyfloat", Doc {
        summary: "Increment the float value of a key by the given amount",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            double("increment"),
        ],
        ..Doc::DEFAULT
    }),
    ("getrange", Doc {
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        args: &[
            key("key", 0),
            integer("start"),
            integer("end"),
        ],
        ..Doc::DEFAULT
    }),
    ("substr", Doc {
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        doc_flags: &["deprecated"],
        deprecated_since: "2.0.0",
        replaced_by: "`GETRANGE`",
        args: &[
            key("key", 0),
            integer("start"),
            integer("end"),
        ],
        ..Doc::DEFAULT
    }),
    ("setrange", Doc {
        summary: "Overwrite part of a string at key starting at the specified offset",
        complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        args: &[
            key("key", 0),
            integer("offset"),
            string("value"),
        ],
        ..Doc::DEFAULT
    }),
    ("lcs", Doc {
        summary: "Find longest common substring",
        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        args: &[
            key("key1", 0),
            key("key2", 0),
            pure_token("len", "LEN").opt(),
            pure_token("idx", "IDX").opt(),
            integer("len").token("MINMATCHLEN").opt(),
            pure_token("withmatchlen", "WITHMATCHLEN").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
