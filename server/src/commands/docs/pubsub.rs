//! COMMAND DOCS for the pubsub group.

use crate::commands::command_docs::*;

/// Docs keyed by full command name.
pub const DOCS: &[(&str, Doc)] = &[
    ("subscribe", Doc {
        summary: "Listen for messages published to the given channels",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        args: &[string("channel").multi()],
        ..Doc::DEFAULT
    }),
    ("unsubscribe", Doc {
        summary: "Stop listening for messages posted to the given channels",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        args: &[string("channel").opt().multi()],
        ..Doc::DEFAULT
    }),
    ("psubscribe", Doc {
        summary: "Listen for messages published to channels matching the given patterns",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        args: &[block("pattern", &[pattern("pattern")]).multi()],
        ..Doc::DEFAULT
    }),
    ("punsubscribe", Doc {
        summary: "Stop listening for messages posted to channels matching the given patterns",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        args: &[pattern("pattern").opt().multi()],
        ..Doc::DEFAULT
    }),
    ("publish", Doc {
        summary: "Post a message to a channel",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        args: &[string("channel"), string("message")],
        ..Doc::DEFAULT
    }),
    ("ssubscribe", Doc {
        summary: "Listen for messages published to the given shard channels",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        args: &[string("shardchannel").multi()],
        ..Doc::DEFAULT
    }),
    ("sunsubscribe", Doc {
        summary: "Stop listening for messages posted to the given shard channels",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        args: &[string("shardchannel").opt().multi()],
        ..Doc::DEFAULT
    }),
    ("spublish", Doc {
        summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        args: &[string("shardchannel"), string("message")],
        ..Doc::DEFAULT
    }),
    ("pubsub", Doc {
        summary: "A container for Pub/Sub commands",
        complexity: "Depends on subcommand.",
        ..Doc::DEFAULT
    }),
    ("pubsub|channels", Doc {
        summary: "List active channels",
        complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        args: &[pattern("pattern").opt()],
        ..Doc::DEFAULT
    }),
    ("pubsub|numsub", Doc {
        summary: "Get the count of subscribers for channels",
        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        args: &[string("channel").opt().multi()],
        ..Doc::DEFAULT
    }),
    ("pubsub|numpat", Doc {
        summary: "Get the count of unique patterns pattern subscriptions",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
    ("pubsub|shardchannels", Doc {
        summary: "List active shard channels",
        complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        args: &[pattern("pattern").opt()],
        ..Doc::DEFAULT
    }),
    ("pubsub|shardnumsub", Doc {
        summary: "Get the count of subscribers for shard channels",
        complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        args: &[string("shardchannel").opt().multi()],
        ..Doc::DEFAULT
    }),
    ("pubsub|help", Doc {
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        ..Doc::DEFAULT
    }),
];
