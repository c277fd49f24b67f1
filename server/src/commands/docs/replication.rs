//! COMMAND DOCS for the replication commands (server and generic groups).

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("replconf", Doc {
        summary: "An internal command for configuring the replication stream",
        complexity: "O(1)",
        doc_flags: &["syscmd"],
        ..Doc::DEFAULT
    }),
    ("psync", Doc {
        summary: "Internal command used for replication",
        args: &[
            string("replicationid"),
            integer("offset"),
        ],
        ..Doc::DEFAULT
    }),
    ("sync", Doc {
        summary: "Internal command used for replication",
        ..Doc::DEFAULT
    }),
    ("wait", Doc {
        summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
        complexity: "O(1)",
        args: &[
            integer("numreplicas"),
            integer("timeout"),
        ],
        ..Doc::DEFAULT
    }),
    ("role", Doc {
        summary: "Return the role of the instance in the context of replication",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
];
