-- The change feed reads a case's referral changes in commit order (issue 22, item 4), as it reads
-- the care plans' (careplan/0006): by the writer's transaction, then the referral's revision (one
-- referral changes per transaction). Every writer takes the case's history lock first
-- (common/history_order.h).
CREATE INDEX changes_case_commit_idx ON referrals.changes (case_id, transaction_id, revision);
