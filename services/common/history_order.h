// The order of a case's history in the change feed. The feed reads each service's history by the
// id of the transaction that wrote it (feed/domain/feed_cursor.h); so that a case's changes arrive
// in the order they committed, a later change of a case must get a later transaction id. PostgreSQL
// assigns the id at a transaction's first write, and may do so before the write waits for a lock:
// two transactions that create the same row at once (INSERT ... ON CONFLICT) both take an id, and
// the one with the later id may commit first. So every transaction that appends to a case's
// history the feed reads first takes this lock, which assigns no id: its id comes after the lock,
// and the lock is held until it commits. A lock per case: the hash of different cases may collide,
// which only makes their writers take turns.
#pragma once

// The statement, for a module's prepared statements; $1: the case id.
#define KP_CASE_HISTORY_ORDER_LOCK "SELECT pg_advisory_xact_lock(1263, hashtext($1::text))"
