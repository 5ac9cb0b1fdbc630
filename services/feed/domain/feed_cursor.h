// Where a reader of the change feed stands, in commit order. Each service records its changes in
// a history table of its own schema, each entry stamped with the id of the transaction that wrote
// it (e.g. migration agreements/0005). The feed orders all of them by (transaction, source,
// position): one transaction's changes stay together, its sources in a fixed order, each source's
// in its own order. Per case this is commit order, because every writer of a case's history takes
// the case's history lock before its first write (common/history_order.h). It reads only transactions below the horizon (the snapshot's xmin), all of
// which have ended, so a change can never still appear before a cursor it handed out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace kp::feed {

// The services whose changes the feed carries, in the order a transaction's changes are read.
enum class Source : int { kTeam = 2, kConsent = 3, kCarePlan = 4, kAgreements = 5, kReferrals = 6 };

struct FeedCursor {
  int64_t transaction = 0;  // a PostgreSQL transaction id (xid8)
  int source = 0;           // a Source, or 0 before every source of the transaction
  int64_t position = 0;     // the source's own position (an identity) within the transaction
  // When the position was current, in seconds since the epoch: the time of the change it follows,
  // or when the horizon was read; 0: not known (a cursor of version 1). Not part of the order: it
  // tells how old a cursor is (the feed's retention).
  int64_t time = 0;

  // The cursor at a horizon read at `time`: before every change of transactions from `horizon` on.
  static FeedCursor AtHorizon(int64_t horizon, int64_t time = 0) { return {horizon, 0, 0, time}; }
  // The position after which source `of` continues: (transaction, position) of that source's own
  // order. Of the cursor's transaction, a source before the cursor's was read entirely, one after
  // it not at all.
  std::pair<int64_t, int64_t> AfterIn(Source of) const;
  friend auto operator<=>(const FeedCursor& a, const FeedCursor& b) {
    return std::tie(a.transaction, a.source, a.position) <=> std::tie(b.transaction, b.source, b.position);
  }
  friend bool operator==(const FeedCursor& a, const FeedCursor& b) { return (a <=> b) == 0; }
};

// Opaque to readers; "2.{transaction}.{source}.{position}.{time}" ("1.{transaction}.{source}.
// {position}", without the time, is still read).
std::string EncodeCursor(const FeedCursor& cursor);
// nullopt when malformed.
std::optional<FeedCursor> DecodeCursor(std::string_view text);

}  // namespace kp::feed
