//! XREAD BLOCK and XREADGROUP BLOCK, differential against redis-server: `$` resolved at
//! call time, several waiters served first-blocked-first, timeouts, the PEL after a
//! served XREADGROUP, BLOCK inside MULTI, CLIENT UNBLOCK, and a waiting XREADGROUP whose
//! group or key goes away.

use rhodium_it::session::check_session;

#[test]
fn xread_waiters_with_dollar_are_served_in_order() {
    check_session(
        r#"
        4 XADD s 1-1 f v
        1> XREAD BLOCK 0 STREAMS s $
        blocked 1
        2> XREAD COUNT 1 BLOCK 0 STREAMS other s $ $
        blocked 2
        3> XREAD BLOCK 0 STREAMS s 0-0
        3<
        3> XREAD BLOCK 0 STREAMS s $
        blocked 3
        4 XADD s 2-1 a b
        1<
        2<
        3<
        blocked 0
        # `$` is the last ID when called: entries added meanwhile in MULTI are all served.
        1> XREAD BLOCK 0 STREAMS s $
        blocked 1
        4 MULTI
        4 XADD s 3-1 a b
        4 XADD s 4-1 c d
        4 EXEC
        1<
        # A missing key waits from 0-0; a key of another type keeps XREAD waiting.
        1> XREAD BLOCK 0 STREAMS nokey $
        blocked 1
        4 SET nokey x
        4 DEL nokey
        4 XADD nokey 7-7 f v
        1<
        1> XREAD BLOCK 0 STREAMS s 9-0
        blocked 1
        4 XADD s 5-1 f v
        4 DEL s
        4 XADD s 10-1 f v
        1<
        "#,
    );
}

#[test]
fn timeouts_errors_multi_and_client_unblock() {
    check_session(
        r#"
        1 XREAD BLOCK 50 STREAMS s $
        1 XREAD BLOCK -1 STREAMS s $
        1 XREAD BLOCK abc STREAMS s $
        1 HELLO 3
        1 XREAD BLOCK 30 STREAMS s $
        1 HELLO 2
        1 MULTI
        1 XREAD BLOCK 0 STREAMS s $
        1 XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        1 EXEC
        1 XGROUP CREATE s g $ MKSTREAM
        1 MULTI
        1 XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        1 EXEC
        1 CLIENT ID
        1> XREAD BLOCK 0 STREAMS s $
        blocked 1
        2 CLIENT UNBLOCK 5 TIMEOUT
        1<
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        2 CLIENT UNBLOCK 5 ERROR
        1<
        1> XREAD BLOCK 10000 STREAMS s $
        blocked 1
        2 XADD s 1-1 f v
        1<
        "#,
    );
}

#[test]
fn xreadgroup_served_after_blocking_updates_the_pel() {
    check_session(
        r#"
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        blocked 1
        2> XREADGROUP GROUP g bob COUNT 1 BLOCK 0 STREAMS s >
        blocked 2
        3> XREADGROUP GROUP g carol NOACK BLOCK 0 STREAMS s >
        blocked 3
        # Explicit IDs serve the consumer's history at once, even empty.
        4 XREADGROUP GROUP g dave BLOCK 0 STREAMS s 0
        4 XADD s 1-1 f v
        1<
        blocked 2
        4 MULTI
        4 XADD s 2-1 a b
        4 XADD s 3-1 c d
        4 EXEC
        2<
        3<
        blocked 0
        4 XPENDING s g
        # The extended XPENDING form carries idle milliseconds, which differ between
        # the servers by scheduling: bob's pending entries are read as his history instead.
        4 XREADGROUP GROUP g bob STREAMS s 0
        4 XINFO GROUPS s
        4 XREADGROUP GROUP g alice STREAMS s 0
        "#,
    );
}

#[test]
fn a_waiting_xreadgroup_ends_when_its_group_or_key_goes() {
    check_session(
        r#"
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 XGROUP DESTROY s g
        1<
        4 XGROUP CREATE s g $
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 DEL s
        1<
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 SET s x
        1<
        4 DEL s
        # Deleted and recreated in one transaction: served from the new stream.
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 MULTI
        4 DEL s
        4 XADD s 1-1 f v
        4 XGROUP CREATE s g 0
        4 EXEC
        1<
        4 INFO errorstats
        "#,
    );
}
