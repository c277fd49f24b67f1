//! CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (client-side caching; the tables
//! and invalidations live in `crate::tracking`). Registered as CLIENT subcommands.

use bytes::Bytes;
use rhodium_protocol::{ArgError, Args, ReplyWriter};

use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::tracking::{self, flag};

fn syntax() -> CommandError {
    CommandError::Arg(ArgError::Syntax)
}

/// Whether two prefixes would invalidate the same key (one starts the other).
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP],
/// with Redis 7.0's checks in its order.
pub fn tracking(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let mut redirect: i64 = 0;
    let mut options = 0u32;
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let opt = &argv[j];
        if opt.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if redirect != 0 {
                return Err(CommandError::err("A client can only redirect to a single other client"));
            }
            redirect = rhodium_protocol::number::parse_i64(&argv[j]).ok_or_else(|| CommandError::err("value is not an integer or out of range"))?;
            // The client must exist now, though it may leave later.
            if u64::try_from(redirect).ok().and_then(|id| ctx.server.clients.get(id)).is_none() {
                return Err(CommandError::err("The client ID you want redirect to does not exist"));
            }
        } else if opt.eq_ignore_ascii_case(b"bcast") {
            options |= flag::BCAST;
        } else if opt.eq_ignore_ascii_case(b"optin") {
            options |= flag::OPTIN;
        } else if opt.eq_ignore_ascii_case(b"optout") {
            options |= flag::OPTOUT;
        } else if opt.eq_ignore_ascii_case(b"noloop") {
            options |= flag::NOLOOP;
        } else if opt.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            // Bounded by the request itself, which the query buffer limit bounds.
            prefixes.push(argv[j].clone());
        } else {
            return Err(syntax());
        }
        j += 1;
    }
    let server = ctx.server;
    let handle = ctx.client.handle.clone();
    let mode = &argv[2];
    if mode.eq_ignore_ascii_case(b"on") {
        let current = handle.tracking.flags();
        if options & flag::BCAST == 0 && !prefixes.is_empty() {
            return Err(CommandError::err("PREFIX option requires BCAST mode to be enabled"));
        }
        if current & flag::ON != 0 && (current & flag::BCAST != 0) != (options & flag::BCAST != 0) {
            return Err(CommandError::err("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."));
        }
        if options & flag::BCAST != 0 && options & (flag::OPTIN | flag::OPTOUT) != 0 {
            return Err(CommandError::err("OPTIN and OPTOUT are not compatible with BCAST"));
        }
        if options & flag::OPTIN != 0 && options & flag::OPTOUT != 0 {
            return Err(CommandError::err("You can't specify both OPTIN mode and OPTOUT mode"));
        }
        if (options & flag::OPTIN != 0 && current & flag::OPTOUT != 0) || (options & flag::OPTOUT != 0 && current & flag::OPTIN != 0) {
            return Err(CommandError::err("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."));
        }
        if options & flag::BCAST != 0 && !check_prefixes(&handle.tracking.prefixes(), &prefixes, out)? {
            return Ok(());
        }
        server.tracking.enable(server, &handle, redirect as u64, options, &prefixes);
    } else if mode.eq_ignore_ascii_case(b"off") {
        server.tracking.disable(server, &handle);
    } else {
        return Err(syntax());
    }
    tracking::refresh_current(&handle);
    out.ok();
    Ok(())
}

/// Redis 7.0's `checkPrefixCollisionsOrReply`, quirk included: an overlap with a prefix
/// the client already has is an error; an overlap between two new prefixes is reported,
/// but when it is not found at the first prefix Redis goes on to enable tracking anyway
/// (its check returns the prefix index as success), so the error is followed by `+OK`.
/// Returns whether to go on.
fn check_prefixes(existing: &[Bytes], new: &[Bytes], out: &mut ReplyWriter) -> Result<bool, CommandError> {
    for (i, p) in new.iter().enumerate() {
        if let Some(old) = existing.iter().find(|old| overlaps(old, p)) {
            return Err(CommandError::err(format!(
                "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(old)
            )));
        }
        if let Some(other) = new[i + 1..].iter().find(|q| overlaps(p, q)) {
            let msg = format!("Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.", String::from_utf8_lossy(p), String::from_utf8_lossy(other));
            if i == 0 {
                return Err(CommandError::err(msg));
            }
            out.error(&format!("ERR {msg}"));
            return Ok(true);
        }
    }
    Ok(true)
}

/// CLIENT CACHING YES|NO: whether the next command's reads are tracked in OPTIN/OPTOUT mode.
pub fn caching(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let handle = ctx.client.handle.clone();
    let f = handle.tracking.flags();
    if f & flag::ON == 0 {
        return Err(CommandError::err("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"));
    }
    let opt = &args.argv()[2];
    if opt.eq_ignore_ascii_case(b"yes") {
        if f & flag::OPTIN == 0 {
            return Err(CommandError::err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."));
        }
    } else if opt.eq_ignore_ascii_case(b"no") {
        if f & flag::OPTOUT == 0 {
            return Err(CommandError::err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."));
        }
    } else {
        return Err(syntax());
    }
    handle.tracking.set_caching();
    tracking::refresh_current(&handle);
    out.ok();
    Ok(())
}

/// CLIENT GETREDIR: the redirect id, 0 without one, -1 when not tracking.
pub fn getredir(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.client.handle.tracking.redirect_shown());
    Ok(())
}

/// CLIENT TRACKINGINFO: flags (a set), redirect and prefixes.
pub fn trackinginfo(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let t = &ctx.client.handle.tracking;
    let f = t.flags();
    let mut names: Vec<&str> = vec![if f & flag::ON != 0 { "on" } else { "off" }];
    if f & flag::BCAST != 0 {
        names.push("bcast");
    }
    if f & flag::OPTIN != 0 {
        names.push("optin");
        if f & flag::CACHING != 0 {
            names.push("caching-yes");
        }
    }
    if f & flag::OPTOUT != 0 {
        names.push("optout");
        if f & flag::CACHING != 0 {
            names.push("caching-no");
        }
    }
    if f & flag::NOLOOP != 0 {
        names.push("noloop");
    }
    if f & flag::BROKEN_REDIR != 0 {
        names.push("broken_redirect");
    }
    out.map(3);
    out.bulk(b"flags");
    out.set(names.len());
    for n in names {
        out.bulk(n.as_bytes());
    }
    out.bulk(b"redirect");
    out.integer(t.redirect_shown());
    out.bulk(b"prefixes");
    let prefixes = t.prefixes();
    out.array(prefixes.len());
    for p in &prefixes {
        out.bulk(p);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_overlap_when_one_starts_the_other() {
        assert!(overlaps(b"a", b"ab"));
        assert!(overlaps(b"ab", b"a"));
        assert!(overlaps(b"", b"x"));
        assert!(!overlaps(b"ab", b"ac"));
    }
}
