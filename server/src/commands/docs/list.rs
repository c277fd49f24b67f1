//! COMMAND DOCS for the list group (the blocking commands come later).

use crate::commands::command_docs::*;

const PUSH_COMPLEXITY: &str = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
const PUSH_ARGS: &[Arg] = &[key("key", 0), string("element").multi()];
const POP_ARGS: &[Arg] = &[key("key", 0), integer("count").since("6.2.0").opt()];
const LEFT_RIGHT: &[Arg] = &[pure_token("left", "LEFT"), pure_token("right", "RIGHT")];

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("lpush", Doc {
        summary: "Prepend one or multiple elements to a list",
        complexity: PUSH_COMPLEXITY,
        history: &[("2.4.0", "Accepts multiple `element` arguments.")],
        args: PUSH_ARGS,
        ..Doc::DEFAULT
    }),
    ("rpush", Doc {
        summary: "Append one or multiple elements to a list",
        complexity: PUSH_COMPLEXITY,
        history: &[("2.4.0", "Accepts multiple `element` arguments.")],
        args: PUSH_ARGS,
        ..Doc::DEFAULT
    }),
    ("lpushx", Doc {
        summary: "Prepend an element to a list, only if the list exists",
        complexity: PUSH_COMPLEXITY,
        history: &[("4.0.0", "Accepts multiple `element` arguments.")],
        args: PUSH_ARGS,
        ..Doc::DEFAULT
    }),
    ("rpushx", Doc {
        summary: "Append an element to a list, only if the list exists",
        complexity: PUSH_COMPLEXITY,
        history: &[("4.0.0", "Accepts multiple `element` arguments.")],
        args: PUSH_ARGS,
        ..Doc::DEFAULT
    }),
    ("lpop", Doc {
        summary: "Remove and get the first elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        history: &[("6.2.0", "Added the `count` argument.")],
        args: POP_ARGS,
        ..Doc::DEFAULT
    }),
    ("rpop", Doc {
        summary: "Remove and get the last elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        history: &[("6.2.0", "Added the `count` argument.")],
        args: POP_ARGS,
        ..Doc::DEFAULT
    }),
    ("llen", Doc {
        summary: "Get the length of a list",
        complexity: "O(1)",
        args: &[key("key", 0)],
        ..Doc::DEFAULT
    }),
    ("lindex", Doc {
        summary: "Get an element from a list by its index",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        args: &[key("key", 0), integer("index")],
        ..Doc::DEFAULT
    }),
    ("lset", Doc {
        summary: "Set the value of an element in a list by its index",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        args: &[key("key", 0), integer("index"), string("element")],
        ..Doc::DEFAULT
    }),
    ("linsert", Doc {
        summary: "Insert an element before or after another element in a list",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        args: &[
            key("key", 0),
            oneof("where", &[
                pure_token("before", "BEFORE"),
                pure_token("after", "AFTER"),
            ]),
            string("pivot"),
            string("element"),
        ],
        ..Doc::DEFAULT
    }),
    ("lrange", Doc {
        summary: "Get a range of elements from a list",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        args: &[key("key", 0), integer("start"), integer("stop")],
        ..Doc::DEFAULT
    }),
    ("ltrim", Doc {
        summary: "Trim a list to the specified range",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        args: &[key("key", 0), integer("start"), integer("stop")],
        ..Doc::DEFAULT
    }),
    ("lrem", Doc {
        summary: "Remove elements from a list",
        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
        args: &[key("key", 0), integer("count"), string("element")],
        ..Doc::DEFAULT
    }),
    ("lpos", Doc {
        summary: "Return the index of matching elements on a list",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        args: &[
            key("key", 0),
            string("element"),
            integer("rank").token("RANK").opt(),
            integer("num-matches").token("COUNT").opt(),
            integer("len").token("MAXLEN").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("lmove", Doc {
        summary: "Pop an element from a list, push it to another list and return it",
        complexity: "O(1)",
        args: &[
            key("source", 0),
            key("destination", 1),
            oneof("wherefrom", LEFT_RIGHT),
            oneof("whereto", LEFT_RIGHT),
        ],
        ..Doc::DEFAULT
    }),
    ("rpoplpush", Doc {
        summary: "Remove the last element in a list, prepend it to another list and return it",
        complexity: "O(1)",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
        args: &[key("source", 0), key("destination", 1)],
        ..Doc::DEFAULT
    }),
    ("lmpop", Doc {
        summary: "Pop elements from a list",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        args: &[
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where", LEFT_RIGHT),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("blpop", Doc {
        summary: "Remove and get the first element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        history: &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")],
        args: &[
            key("key", 0).multi(),
            double("timeout"),
        ],
        ..Doc::DEFAULT
    }),
    ("brpop", Doc {
        summary: "Remove and get the last element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        history: &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")],
        args: &[
            key("key", 0).multi(),
            double("timeout"),
        ],
        ..Doc::DEFAULT
    }),
    ("blmove", Doc {
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        complexity: "O(1)",
        args: &[
            key("source", 0),
            key("destination", 1),
            oneof("wherefrom", LEFT_RIGHT),
            oneof("whereto", LEFT_RIGHT),
            double("timeout"),
        ],
        ..Doc::DEFAULT
    }),
    ("brpoplpush", Doc {
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        complexity: "O(1)",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
        history: &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")],
        args: &[key("source", 0), key("destination", 1), double("timeout")],
    }),
    ("blmpop", Doc {
        summary: "Pop elements from a list, or block until one is available",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        args: &[
            double("timeout"),
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where", LEFT_RIGHT),
            integer("count").token("COUNT").opt(),
        ],
        ..Doc::DEFAULT
    }),
];
