//! COMMAND DOCS for the connection group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("ping", Doc {
        summary: "Ping the server",
        complexity: "O(1)",
        args: &[
            string("message").opt(),
        ],
        ..Doc::DEFAULT
    }),
    ("echo", Doc {
        summary: "Echo the given string",
        complexity: "O(1)",
        args: &[
            string("message"),
        ],
        ..Doc::DEFAULT
    }),
    ("quit", Doc {
        summary: "Close the connection",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("reset", Doc {
        summary: "Reset the connection",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("select", Doc {
        summary: "Change the selected database for the current connection",
        complexity: "O(1)",
        args: &[
            integer("index"),
        ],
        ..Doc::DEFAULT
    }),
    ("auth", Doc {
        summary: "Authenticate to the server",
        complexity: "O(N) where N is the number of passwords defined for the user",
        history: &[
            ("6.0.0", "Added ACL style (username and password)."),
        ],
        args: &[
            string("username").since("6.0.0").opt(),
            string("password"),
        ],
        ..Doc::DEFAULT
    }),
    ("hello", Doc {
        summary: "Handshake with Redis",
        complexity: "O(1)",
        history: &[
            ("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context."),
        ],
        args: &[
            block("arguments", &[
                integer("protover"),
                block("username_password", &[
                    string("username"),
                    string("password"),
                ]).token("AUTH").opt(),
                string("clientname").token("SETNAME").opt(),
            ]).opt(),
        ],
        ..Doc::DEFAULT
    }),
];
