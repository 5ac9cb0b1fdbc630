// CarePlanService's tables (schema careplan). Resources leave PostgreSQL as protobuf JSON built by
// the schema's own functions (migrations/0001_careplan.sql), so a read is one statement and a
// history snapshot has the same shape as the resource. Every change runs in one transaction that
// first takes the plan's lock (OpenChange) and ends by appending to the history (AppendChange).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/db_pool.h"
#include "kruispunt/careplan/v1/careplan.pb.h"
#include "kruispunt/careplan/v1/careplan_internal.pb.h"

namespace kp::careplan {

namespace v1 = kruispunt::careplan::v1;

const std::vector<PreparedStatement>& Statements();

// Who makes a change.
struct Actor {
  std::string org, person;
};

// A change in progress: the plan's lock is held, `revision` is the number this change gets.
struct OpenedChange {
  int64_t revision;
  v1::CarePlanState plan_state;
  int plan_version;
};
// Locks the case's plan (making it, as a DRAFT, at the first change) and numbers the change.
OpenedChange OpenChange(pqxx::work& tx, const std::string& case_id);

// Records the change and the changed resource as it is now (`snapshot_json`, from a statement).
struct ChangeRecord {
  std::string target;
  v1::ChangeKind kind;
  std::vector<std::string> fields;
  std::string reason;
};
void AppendChange(pqxx::work& tx, const std::string& case_id, const OpenedChange& change, const Actor& actor,
                  const ChangeRecord& record, const std::string& snapshot_json);

// Parses a resource's JSON as the schema's functions build it.
void FromJson(const std::string& json, google::protobuf::Message& out);

// The plan with its goals, actions and latest evaluations; nullopt when nobody changed it yet.
std::optional<std::string> CarePlanJson(pqxx::connection& conn, const std::string& case_id);
std::string UpdateCarePlan(pqxx::work& tx, const std::string& case_id, bool set_next_review,
                           const std::optional<std::string>& next_review);
std::string SetCarePlanState(pqxx::work& tx, const std::string& case_id, v1::CarePlanState state,
                             const std::string& reason);
// Changes oldest first, after revision `after`; returns the last revision when there is more.
std::optional<int64_t> ListChanges(pqxx::connection& conn, const std::string& case_id, int64_t after, int limit,
                                   v1::ListCarePlanChangesResponse& out);
// The change feed's read: the history entries of these cases that committed after (transaction,
// revision) and below the horizon, in commit order, at most `limit`.
void ReadChangesAfter(pqxx::connection& conn, const std::vector<std::string>& case_ids, int64_t after_transaction,
                      int64_t after_revision, int64_t horizon, int limit, v1::ReadPlanChangesResponse& out);

struct NewGoal {
  std::string case_id, statement, held_by;
  int life_domain = 0, held_by_role = 0, priority = 0, client_agreement = 0;
  std::optional<std::string> target_date, next_evaluation, request_id;
};
// The goal a create with this request id made before (JSON), if any.
std::optional<std::string> GoalByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                         const std::string& request_id);
std::string InsertGoal(pqxx::work& tx, const NewGoal& goal);

struct GoalStanding {
  v1::GoalState state;
  int version;
};
std::optional<GoalStanding> GoalStandingOf(pqxx::transaction_base& tx, const std::string& case_id,
                                           const std::string& goal_id);
// With its actions and latest evaluation.
std::optional<std::string> GoalJson(pqxx::connection& conn, const std::string& case_id, const std::string& goal_id);
// Which of these goals the case has.
std::set<std::string> ExistingGoals(pqxx::connection& conn, const std::string& case_id,
                                    const std::vector<std::string>& goal_ids);

struct GoalEdit {
  std::optional<std::string> statement;
  std::optional<int> life_domain, priority, client_agreement;
  bool set_target_date = false, set_next_evaluation = false;
  std::optional<std::string> target_date, next_evaluation;
};
std::string UpdateGoal(pqxx::work& tx, const std::string& case_id, const std::string& goal_id, const GoalEdit& edit);
std::string SetGoalState(pqxx::work& tx, const std::string& case_id, const std::string& goal_id,
                         v1::GoalState state, const std::string& reason);
// A disagreement is replaced or removed; the goal's etag moves either way. RemoveDisagreement
// returns false when the participant had none.
void PutDisagreement(pqxx::work& tx, const std::string& case_id, const std::string& goal_id,
                     const std::string& participant_id, const std::string& note, const std::string& recorded_by);
bool RemoveDisagreement(pqxx::work& tx, const std::string& case_id, const std::string& goal_id,
                        const std::string& participant_id);
std::string TouchGoal(pqxx::work& tx, const std::string& case_id, const std::string& goal_id);

struct GoalFilter {
  std::optional<int> life_domain, state;
};
std::optional<int64_t> ListGoals(pqxx::connection& conn, const std::string& case_id, const GoalFilter& filter,
                                 int64_t after, int limit, v1::ListGoalsResponse& out);
// Goals past their next evaluation date and still being worked on, in the given cases, after
// position `after`.
std::optional<int64_t> ListOverdueGoals(pqxx::connection& conn, const std::vector<std::string>& case_ids,
                                        int64_t after, int limit, v1::ListOverdueGoalsResponse& out);

struct NewAction {
  std::string case_id, goal_id, description, responsible;
  std::optional<std::string> due_date, request_id;
};
std::optional<std::string> ActionByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                           const std::string& request_id);
std::string InsertAction(pqxx::work& tx, const NewAction& action);

struct ActionStanding {
  v1::ActionStatus status;
  int version;
};
std::optional<ActionStanding> ActionStandingOf(pqxx::transaction_base& tx, const std::string& case_id,
                                               const std::string& action_id);
struct ActionEdit {
  std::optional<std::string> description, responsible;
  bool set_due_date = false;
  std::optional<std::string> due_date;
  std::optional<int> status;
};
std::string UpdateAction(pqxx::work& tx, const std::string& case_id, const std::string& action_id,
                         const ActionEdit& edit);

struct NewEvaluation {
  int kind = 1;  // kruispunt.careplan.v1.EvaluationKind
  std::string case_id, goal_id, evaluation_date, client_note, professional_note;
  std::optional<std::string> next_evaluation;  // a review's
  std::optional<int> client_rating, professional_rating;
  std::optional<std::string> request_id;
  // A referral's outcome: its id, and its standing as ReferralService gave it.
  std::optional<std::string> referral_id;
  std::optional<int> referral_status, referral_outcome;
  std::optional<std::string> referral_receiver;  // the receiving organisation's id
};
std::optional<std::string> EvaluationByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                               const std::string& request_id);
// Records it; a review also moves the goal's next evaluation date to that of its latest review.
std::string InsertEvaluation(pqxx::work& tx, const NewEvaluation& evaluation, const Actor& actor);
// Newest recorded first, before position `before` (0: from the newest).
std::optional<int64_t> ListEvaluations(pqxx::connection& conn, const std::string& case_id, const std::string& goal_id,
                                       int64_t before, int limit, v1::ListEvaluationsResponse& out);

}  // namespace kp::careplan
