//! COMMAND DOCS for the hash group.

use crate::commands::command_docs::*;

/// The `field value [field value ...]` block of HSET and HMSET.
const FIELD_VALUE: Arg = block("field_value", &[string("field"), string("value")]).multi();

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("hset", Doc {
        summary: "Set the string value of a hash field",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        history: &[("4.0.0", "Accepts multiple `field` and `value` arguments.")],
        args: &[key("key", 0), FIELD_VALUE],
        ..Doc::DEFAULT
    }),
    ("hsetnx", Doc {
        summary: "Set the value of a hash field, only if the field does not exist",
        complexity: "O(1)",
        args: &[key("key", 0), string("field"), string("value")],
        ..Doc::DEFAULT
    }),
    ("hget", Doc {
        summary: "Get the value of a hash field",
        complexity: "O(1)",
        args: &[key("key", 0), string("field")],
        ..Doc::DEFAULT
    }),
    ("hmget", Doc {
        summary: "Get the values of all the given hash fields",
        complexity: "O(N) where N is the number of fields being requested.",
        args: &[key("key", 0), string("field").multi()],
        ..Doc::DEFAULT
    }),
    ("hmset", Doc {
        summary: "Set multiple hash fields to multiple values",
        complexity: "O(N) where N is the number of fields being set.",
        doc_flags: &["deprecated"],
        deprecated_since: "4.0.0",
        replaced_by: "`HSET` with multiple field-value pairs",
        args: &[key("key", 0), FIELD_VALUE],
        ..Doc::DEFAULT
    }),
    ("hdel", Doc {
        summary: "Delete one or more hash fields",
        complexity: "O(N) where N is the number of fields to be removed.",
        history: &[("2.4.0", "Accepts multiple `field` arguments.")],
        args: &[key("key", 0), string("field").multi()],
        ..Doc::DEFAULT
    }),
    ("hlen", Doc {
        summary: "Get the number of fields in a hash",
        complexity: "O(1)",
        args: &[key("key", 0)],
        ..Doc::DEFAULT
    }),
    ("hstrlen", Doc {
        summary: "Get the length of the value of a hash field",
        complexity: "O(1)",
        args: &[key("key", 0), string("field")],
        ..Doc::DEFAULT
    }),
    ("hexists", Doc {
        summary: "Determine if a hash field exists",
        complexity: "O(1)",
        args: &[key("key", 0), string("field")],
        ..Doc::DEFAULT
    }),
    ("hkeys", Doc {
        summary: "Get all the fields in a hash",
        complexity: "O(N) where N is the size of the hash.",
        args: &[key("key", 0)],
        ..Doc::DEFAULT
    }),
    ("hvals", Doc {
        summary: "Get all the values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        args: &[key("key", 0)],
        ..Doc::DEFAULT
    }),
    ("hgetall", Doc {
        summary: "Get all the fields and values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        args: &[key("key", 0)],
        ..Doc::DEFAULT
    }),
    ("hincrby", Doc {
        summary: "Increment the integer value of a hash field by the given number",
        complexity: "O(1)",
        args: &[key("key", 0), string("field"), integer("increment")],
        ..Doc::DEFAULT
    }),
    ("hincrbyfloat", Doc {
        summary: "Increment the float value of a hash field by the given amount",
        complexity: "O(1)",
        args: &[key("key", 0), string("field"), double("increment")],
        ..Doc::DEFAULT
    }),
    ("hrandfield", Doc {
        summary: "Get one or multiple random fields from a hash",
        complexity: "O(N) where N is the number of fields returned",
        args: &[
            key("key", 0),
            block("options", &[integer("count"), pure_token("withvalues", "WITHVALUES").opt()]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("hscan", Doc {
        summary: "Incrementally iterate hash fields and associated values",
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
