//! The documentation half of a command's declaration (what COMMAND DOCS prints): summary,
//! complexity, history and the argument tree. It lives apart from the dispatch metadata in
//! [`super::spec`] so family files stay small; the tables are in [`super::docs`], keyed by
//! the command's full name (`config|get`).

use rhodium_protocol::ReplyWriter;

use super::spec::CommandSpec;
use super::table::{CommandTable, Resolved};

/// An argument's type, as COMMAND DOCS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    Oneof,
    Block,
}

impl ArgType {
    /// The name Redis prints.
    pub fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::Oneof => "oneof",
            ArgType::Block => "block",
        }
    }
}

/// Argument flag: may be left out.
pub const OPTIONAL: u8 = 1;
/// Argument flag: may repeat.
pub const MULTIPLE: u8 = 2;
/// Argument flag: the token repeats with each repetition.
pub const MULTIPLE_TOKEN: u8 = 4;

/// One argument of a command (Redis's `redisCommandArg`); empty strings mean "absent".
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    pub name: &'static str,
    pub typ: ArgType,
    /// Index into the command's key specs, for `key` arguments; -1 otherwise.
    pub key_spec_index: i32,
    pub token: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    pub deprecated_since: &'static str,
    pub flags: u8,
    /// The nested arguments of a `oneof` or `block`.
    pub args: &'static [Arg],
}

impl Arg {
    /// An argument of type `typ` with nothing else set.
    pub const fn new(name: &'static str, typ: ArgType) -> Arg {
        Arg { name, typ, key_spec_index: -1, token: "", summary: "", since: "", deprecated_since: "", flags: 0, args: &[] }
    }

    /// Sets the token that introduces the argument.
    pub const fn token(mut self, token: &'static str) -> Arg {
        self.token = token;
        self
    }

    /// Sets the version that added the argument.
    pub const fn since(mut self, v: &'static str) -> Arg {
        self.since = v;
        self
    }

    /// Sets the version that deprecated the argument.
    pub const fn deprecated(mut self, v: &'static str) -> Arg {
        self.deprecated_since = v;
        self
    }

    /// Sets the argument's summary.
    pub const fn summary(mut self, s: &'static str) -> Arg {
        self.summary = s;
        self
    }

    /// Marks the argument optional.
    pub const fn opt(mut self) -> Arg {
        self.flags |= OPTIONAL;
        self
    }

    /// Marks the argument repeatable.
    pub const fn multi(mut self) -> Arg {
        self.flags |= MULTIPLE;
        self
    }

    /// Marks the argument's token as repeated with each value.
    pub const fn multi_token(mut self) -> Arg {
        self.flags |= MULTIPLE_TOKEN;
        self
    }
}

/// A `key` argument using key spec `index`.
pub const fn key(name: &'static str, index: i32) -> Arg {
    let mut a = Arg::new(name, ArgType::Key);
    a.key_spec_index = index;
    a
}

/// A `string` argument.
pub const fn string(name: &'static str) -> Arg {
    Arg::new(name, ArgType::String)
}

/// An `integer` argument.
pub const fn integer(name: &'static str) -> Arg {
    Arg::new(name, ArgType::Integer)
}

/// A `double` argument.
pub const fn double(name: &'static str) -> Arg {
    Arg::new(name, ArgType::Double)
}

/// A `pattern` argument.
pub const fn pattern(name: &'static str) -> Arg {
    Arg::new(name, ArgType::Pattern)
}

/// A `unix-time` argument.
pub const fn unix_time(name: &'static str) -> Arg {
    Arg::new(name, ArgType::UnixTime)
}

/// A `pure-token` argument: the token alone.
pub const fn pure_token(name: &'static str, token: &'static str) -> Arg {
    Arg::new(name, ArgType::PureToken).token(token)
}

/// A `oneof` argument: exactly one of `args`.
pub const fn oneof(name: &'static str, args: &'static [Arg]) -> Arg {
    let mut a = Arg::new(name, ArgType::Oneof);
    a.args = args;
    a
}

/// A `block` argument: all of `args` in order.
pub const fn block(name: &'static str, args: &'static [Arg]) -> Arg {
    let mut a = Arg::new(name, ArgType::Block);
    a.args = args;
    a
}

/// A command's documentation; empty strings and slices mean "absent".
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    pub summary: &'static str,
    pub complexity: &'static str,
    /// `deprecated`, `syscmd`.
    pub doc_flags: &'static [&'static str],
    pub deprecated_since: &'static str,
    pub replaced_by: &'static str,
    /// `(version, change)` pairs.
    pub history: &'static [(&'static str, &'static str)],
    pub args: &'static [Arg],
}

impl Doc {
    /// Defaults for struct-update syntax in the docs tables.
    pub const DEFAULT: Doc = Doc { summary: "", complexity: "", doc_flags: &[], deprecated_since: "", replaced_by: "", history: &[], args: &[] };
}

/// Writes one command's docs map (Redis's `addReplyCommandDocs`), subcommands nested.
pub fn write_docs(table: &CommandTable, r: Resolved, out: &mut ReplyWriter) {
    let spec: &CommandSpec = r.spec;
    let doc = super::docs::lookup(r.fullname).copied().unwrap_or(Doc::DEFAULT);
    let subs = subcommands_of(table, r);
    let present = [
        !doc.summary.is_empty(),
        !spec.since.is_empty(),
        true,
        !doc.complexity.is_empty(),
        !doc.doc_flags.is_empty(),
        !doc.deprecated_since.is_empty(),
        !doc.replaced_by.is_empty(),
        !doc.history.is_empty(),
        !doc.args.is_empty(),
        !subs.is_empty(),
    ];
    out.map(present.iter().filter(|p| **p).count());
    if present[0] {
        out.bulk(b"summary");
        out.bulk(doc.summary.as_bytes());
    }
    if present[1] {
        out.bulk(b"since");
        out.bulk(spec.since.as_bytes());
    }
    out.bulk(b"group");
    out.bulk(spec.group.name().as_bytes());
    if present[3] {
        out.bulk(b"complexity");
        out.bulk(doc.complexity.as_bytes());
    }
    if present[4] {
        out.bulk(b"doc_flags");
        out.set(doc.doc_flags.len());
        for f in doc.doc_flags {
            out.simple(f);
        }
    }
    if present[5] {
        out.bulk(b"deprecated_since");
        out.bulk(doc.deprecated_since.as_bytes());
    }
    if present[6] {
        out.bulk(b"replaced_by");
        out.bulk(doc.replaced_by.as_bytes());
    }
    if present[7] {
        out.bulk(b"history");
        out.set(doc.history.len());
        for (v, what) in doc.history {
            out.array(2);
            out.bulk(v.as_bytes());
            out.bulk(what.as_bytes());
        }
    }
    if present[8] {
        out.bulk(b"arguments");
        write_args(doc.args, out);
    }
    if present[9] {
        out.bulk(b"subcommands");
        out.map(subs.len());
        for s in subs {
            out.bulk(s.fullname.as_bytes());
            write_docs(table, s, out);
        }
    }
}

/// Writes an argument list (Redis's `addReplyCommandArgList`).
fn write_args(args: &[Arg], out: &mut ReplyWriter) {
    out.array(args.len());
    for a in args {
        let nested = matches!(a.typ, ArgType::Oneof | ArgType::Block);
        let len = 2
            + usize::from(a.key_spec_index >= 0)
            + usize::from(!a.token.is_empty())
            + usize::from(!a.summary.is_empty())
            + usize::from(!a.since.is_empty())
            + usize::from(!a.deprecated_since.is_empty())
            + usize::from(a.flags != 0)
            + usize::from(nested);
        out.map(len);
        out.bulk(b"name");
        out.bulk(a.name.as_bytes());
        out.bulk(b"type");
        out.bulk(a.typ.name().as_bytes());
        if a.key_spec_index >= 0 {
            out.bulk(b"key_spec_index");
            out.integer(i64::from(a.key_spec_index));
        }
        for (k, v) in [("token", a.token), ("summary", a.summary), ("since", a.since), ("deprecated_since", a.deprecated_since)] {
            if !v.is_empty() {
                out.bulk(k.as_bytes());
                out.bulk(v.as_bytes());
            }
        }
        if a.flags != 0 {
            out.bulk(b"flags");
            let names: Vec<&str> = [(OPTIONAL, "optional"), (MULTIPLE, "multiple"), (MULTIPLE_TOKEN, "multiple_token")]
                .iter()
                .filter(|(f, _)| a.flags & f != 0)
                .map(|(_, n)| *n)
                .collect();
            out.set(names.len());
            for n in names {
                out.simple(n);
            }
        }
        if nested {
            out.bulk(b"arguments");
            write_args(a.args, out);
        }
    }
}

/// A container's subcommands in declaration order.
pub fn subcommands_of(table: &CommandTable, r: Resolved) -> Vec<Resolved> {
    if r.spec.subcommands.is_empty() || r.fullname.contains('|') {
        return Vec::new();
    }
    table.all.iter().filter(|s| s.fullname.split_once('|').is_some_and(|(c, _)| c == r.fullname)).copied().collect()
}
