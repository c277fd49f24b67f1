//! COMMAND DOCS for the bitmap group.

use crate::commands::command_docs::*;

const INDEX_UNIT: Arg = oneof("index_unit", &[pure_token("byte", "BYTE"), pure_token("bit", "BIT")]).since("7.0.0").opt();

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("setbit", Doc {
        summary: "Sets or clears the bit at offset in the string value stored at key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            integer("offset"),
            integer("value"),
        ],
        ..Doc::DEFAULT
    }),
    ("getbit", Doc {
        summary: "Returns the bit value at offset in the string value stored at key",
        complexity: "O(1)",
        args: &[
            key("key", 0),
            integer("offset"),
        ],
        ..Doc::DEFAULT
    }),
    ("bitcount", Doc {
        summary: "Count set bits in a string",
        complexity: "O(N)",
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        args: &[
            key("key", 0),
            block("index", &[
                integer("start"),
                integer("end"),
                INDEX_UNIT,
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("bitpos", Doc {
        summary: "Find first bit set or clear in a string",
        complexity: "O(N)",
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        args: &[
            key("key", 0),
            integer("bit"),
            block("index", &[
                integer("start"),
                block("end_index", &[
                    integer("end"),
                    INDEX_UNIT,
                ]).opt(),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("bitop", Doc {
        summary: "Perform bitwise operations between strings",
        complexity: "O(N)",
        args: &[
            string("operation"),
            key("destkey", 0),
            key("key", 1).multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("bitfield", Doc {
        summary: "Perform arbitrary bitfield integer operations on strings",
        complexity: "O(1) for each subcommand specified",
        args: &[
            key("key", 0),
            oneof("operation", &[
                block("encoding_offset", &[
                    string("encoding"),
                    integer("offset"),
                ]).token("GET"),
                block("write", &[
                    oneof("wrap_sat_fail", &[
                        pure_token("wrap", "WRAP"),
                        pure_token("sat", "SAT"),
                        pure_token("fail", "FAIL"),
                    ]).token("OVERFLOW").opt(),
                    oneof("write_operation", &[
                        block("encoding_offset_value", &[
                            string("encoding"),
                            integer("offset"),
                            integer("value"),
                        ]).token("SET"),
                        block("encoding_offset_increment", &[
                            string("encoding"),
                            integer("offset"),
                            integer("increment"),
                        ]).token("INCRBY"),
                    ]),
                ]),
            ]).opt().multi(),
        ],
        ..Doc::DEFAULT
    }),
    ("bitfield_ro", Doc {
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        complexity: "O(1) for each subcommand specified",
        args: &[
            key("key", 0),
            block("encoding_offset", &[
                string("encoding"),
                integer("offset"),
            ]).token("GET").opt().multi().multi_token(),
        ],
        ..Doc::DEFAULT
    }),
];
