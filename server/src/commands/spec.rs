//! The command spec: each command's metadata, declared once in its family file in Redis's
//! own vocabulary (the fields of Redis 7.0's command JSON). Dispatch, COMMAND INFO/LIST/
//! GETKEYS, key locking and propagation all read it.

use rhodium_protocol::{Args, ReplyWriter};

use crate::dispatch::ExecCtx;
use crate::error::CommandError;

/// The signature of every command handler: parse `args`, act through `ctx`, write the reply.
pub type Handler = fn(&mut ExecCtx<'_>, &mut Args, &mut ReplyWriter) -> Result<(), CommandError>;

/// A custom key finder (Redis's `getkeys_proc`): the argument positions of the keys in
/// argv. COMMAND GETKEYSANDFLAGS gives each key the flags of the spec that finds it.
pub type GetKeys = fn(&[bytes::Bytes]) -> Vec<usize>;

/// Command flags (Redis's `CMD_*`).
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const MODULE: u32 = 1 << 3;
    pub const ADMIN: u32 = 1 << 4;
    pub const PUBSUB: u32 = 1 << 5;
    pub const NOSCRIPT: u32 = 1 << 6;
    pub const BLOCKING: u32 = 1 << 8;
    pub const LOADING: u32 = 1 << 9;
    pub const STALE: u32 = 1 << 10;
    pub const SKIP_MONITOR: u32 = 1 << 11;
    pub const SKIP_SLOWLOG: u32 = 1 << 12;
    pub const ASKING: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const NO_AUTH: u32 = 1 << 15;
    pub const MAY_REPLICATE: u32 = 1 << 16;
    pub const SENTINEL: u32 = 1 << 17;
    pub const ONLY_SENTINEL: u32 = 1 << 18;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 19;
    pub const PROTECTED: u32 = 1 << 20;
    pub const NO_ASYNC_LOADING: u32 = 1 << 23;
    pub const NO_MULTI: u32 = 1 << 24;
    pub const MOVABLE_KEYS: u32 = 1 << 25;
    pub const ALLOW_BUSY: u32 = 1 << 26;
    /// Rhodium-internal, never shown: dispatch runs the command inside an atomic section
    /// of its own (FLUSHALL, FLUSHDB, SWAPDB: whole-database changes and WATCH).
    pub const EXCLUSIVE: u32 = 1 << 29;
    /// Rhodium-internal, never shown: dispatch runs the command without the world lock,
    /// so it runs beside a script that holds the world (SCRIPT KILL, FUNCTION KILL,
    /// SHUTDOWN); such a command touches no keys, only scripting or process state.
    pub const NO_WORLD: u32 = 1 << 28;
    /// Rhodium-internal, never shown: the handler opens its own atomic section (EXEC,
    /// scripts), so dispatch takes no world lock for it and locks none of its keys (the
    /// commands it runs through `execute_in_atomic` lock theirs).
    pub const SELF_ATOMIC: u32 = 1 << 30;

    /// Names in the order COMMAND INFO lists them (Redis's `addReplyCommandFlags`).
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (Redis's `ACL_CATEGORY_*`).
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    /// Names in Redis's order (`ACLCommandCategories`).
    pub const NAMES: &[(u32, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// Key-spec flags (Redis's `CMD_KEY_*`).
pub mod keyflags {
    pub const RO: u32 = 1 << 0;
    pub const RW: u32 = 1 << 1;
    pub const OW: u32 = 1 << 2;
    pub const RM: u32 = 1 << 3;
    pub const ACCESS: u32 = 1 << 4;
    pub const UPDATE: u32 = 1 << 5;
    pub const INSERT: u32 = 1 << 6;
    pub const DELETE: u32 = 1 << 7;
    pub const NOT_KEY: u32 = 1 << 8;
    pub const INCOMPLETE: u32 = 1 << 9;
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    /// Names in the order COMMAND INFO lists them.
    pub const NAMES: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Where the search for keys starts.
#[derive(Debug, Clone, Copy)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index(i32),
    /// After a keyword, searched from `startfrom` (negative: from the end).
    Keyword { keyword: &'static str, startfrom: i32 },
    Unknown,
}

/// How keys are found once the search started.
#[derive(Debug, Clone, Copy)]
pub enum FindKeys {
    /// `lastkey` relative to the start (negative: from the end), every `step`; `limit`
    /// divides the remaining args when lastkey is -1.
    Range { lastkey: i32, step: i32, limit: i32 },
    /// The number of keys is at `keynumidx`, keys start at `firstkey`, every `step`.
    Keynum { keynumidx: i32, firstkey: i32, step: i32 },
    Unknown,
}

/// One key spec.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub notes: &'static str,
    pub flags: u32,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

impl KeySpec {
    /// The most common spec: one key at `index`.
    pub const fn single(index: i32, flags: u32) -> KeySpec {
        KeySpec { notes: "", flags, begin: BeginSearch::Index(index), find: FindKeys::Range { lastkey: 0, step: 1, limit: 0 } }
    }

    /// Keys from `index` to `lastkey` (relative; -1 = the last argument) every `step`.
    pub const fn range(index: i32, lastkey: i32, step: i32, flags: u32) -> KeySpec {
        KeySpec { notes: "", flags, begin: BeginSearch::Index(index), find: FindKeys::Range { lastkey, step, limit: 0 } }
    }
}

/// Command group (as COMMAND DOCS reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    List,
    Set,
    SortedSet,
    Hash,
    Pubsub,
    Transactions,
    Connection,
    Server,
    Scripting,
    Hyperloglog,
    Cluster,
    Sentinel,
    Geo,
    Stream,
    Bitmap,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Pubsub => "pubsub",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Scripting => "scripting",
            Group::Hyperloglog => "hyperloglog",
            Group::Cluster => "cluster",
            Group::Sentinel => "sentinel",
            Group::Geo => "geo",
            Group::Stream => "stream",
            Group::Bitmap => "bitmap",
        }
    }
}

/// A command's declaration.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// Lower-case name (the subcommand's own name for subcommands).
    pub name: &'static str,
    pub group: Group,
    pub since: &'static str,
    /// Positive: exact argc; negative: at least `-arity`.
    pub arity: i32,
    pub flags: u32,
    /// ACL categories declared explicitly (the implied ones are derived).
    pub acl: u32,
    /// Command tips (`nondeterministic_output`, `request_policy:...`).
    pub tips: &'static [&'static str],
    pub key_specs: &'static [KeySpec],
    pub subcommands: &'static [CommandSpec],
    /// `None` for containers whose subcommands do the work.
    pub handler: Option<Handler>,
    /// Custom key extraction for commands whose keys the specs cannot fully describe.
    pub getkeys: Option<GetKeys>,
}

impl CommandSpec {
    /// Defaults for struct-update syntax in family files.
    pub const DEFAULT: CommandSpec = CommandSpec {
        name: "",
        group: Group::Generic,
        since: "1.0.0",
        arity: 1,
        flags: 0,
        acl: 0,
        tips: &[],
        key_specs: &[],
        subcommands: &[],
        handler: None,
        getkeys: None,
    };

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The ACL categories including those Redis implies from the flags
    /// (`setImplicitACLCategories`).
    pub fn acl_categories(&self) -> u32 {
        let mut c = self.acl;
        if self.has(flags::WRITE) {
            c |= acl::WRITE;
        }
        if self.has(flags::READONLY) && c & acl::SCRIPTING == 0 {
            c |= acl::READ;
        }
        if self.has(flags::ADMIN) {
            c |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flags::PUBSUB) {
            c |= acl::PUBSUB;
        }
        if self.has(flags::FAST) {
            c |= acl::FAST;
        }
        if self.has(flags::BLOCKING) {
            c |= acl::BLOCKING;
        }
        if c & acl::FAST == 0 {
            c |= acl::SLOW;
        }
        c
    }

    /// Whether argc satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc as i32 == a) || (a < 0 && argc as i32 >= -a)
    }
}
