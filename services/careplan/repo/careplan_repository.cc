#include "careplan/repo/careplan_repository.h"

#include <google/protobuf/util/json_util.h>

#include <stdexcept>

#include "common/calendar.h"
#include "common/history_order.h"
#include "common/idempotency.h"
#include "common/pg_values.h"
#include "common/validation.h"

namespace kp::careplan {

namespace {

#define GOAL_JSON "careplan.goal_json(g, false)::text"

const std::vector<PreparedStatement> kStatements = {
    KP_REQUEST_ID_STATEMENT("careplan"),
    {"careplan.case_order_lock", KP_CASE_HISTORY_ORDER_LOCK},
    {"careplan.open_change",
     "INSERT INTO careplan.plans AS p (case_id, revision) VALUES ($1::uuid, 1) "
     "ON CONFLICT (case_id) DO UPDATE SET revision = p.revision + 1 RETURNING p.revision, p.state, p.version"},
    {"careplan.change_append",
     "INSERT INTO careplan.changes (case_id, revision, organization, person, target, kind, fields, reason, snapshot) "
     "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::text[], $8, $9::jsonb)"},
    {"careplan.changes_list",
     "SELECT revision, " KP_MICROS("change_time") ", organization, person, target, kind, "
     "array_to_string(fields, ','), reason, snapshot::text FROM careplan.changes "
     "WHERE case_id = $1::uuid AND revision > $2 ORDER BY revision LIMIT $3"},
    // The change feed's read: the entries of these cases after (transaction, revision) and below
    // the horizon, in commit order; each case through changes_case_commit_idx.
    {"careplan.changes_after",
     "SELECT c.revision, " KP_MICROS("c.change_time") ", c.organization, c.person, c.target, c.kind, "
     "array_to_string(c.fields, ','), c.reason, c.snapshot::text, c.case_id::text, c.transaction_id::text::bigint "
     "FROM unnest($1::uuid[]) AS wanted(case_id) "
     "CROSS JOIN LATERAL (SELECT * FROM careplan.changes x WHERE x.case_id = wanted.case_id "
     "  AND (x.transaction_id, x.revision) > ($2::text::xid8, $3) AND x.transaction_id < $4::text::xid8 "
     "  ORDER BY x.transaction_id, x.revision LIMIT $5) c "
     "ORDER BY c.transaction_id, c.revision LIMIT $5"},  // one case per transaction: the plan lock

    {"careplan.plan_get",
     "SELECT careplan.plan_json(p, COALESCE("
     "  (SELECT json_agg(careplan.goal_json(g, true) ORDER BY g.priority, g.position) "
     "   FROM careplan.goals g WHERE g.case_id = p.case_id), '[]'::json))::text "
     "FROM careplan.plans p WHERE p.case_id = $1::uuid"},
    {"careplan.plan_update",
     "UPDATE careplan.plans p SET next_review = CASE WHEN $2 THEN $3::date ELSE next_review END, "
     "version = version + 1, update_time = now() WHERE case_id = $1::uuid RETURNING careplan.plan_json(p, NULL)::text"},
    {"careplan.plan_state",
     "UPDATE careplan.plans p SET state = $2, state_reason = $3, version = version + 1, update_time = now() "
     "WHERE case_id = $1::uuid RETURNING careplan.plan_json(p, NULL)::text"},

    {"careplan.goal_by_request",
     "SELECT " GOAL_JSON " FROM careplan.goals g WHERE case_id = $1::uuid AND request_id = $2::uuid"},
    {"careplan.goal_insert",
     "INSERT INTO careplan.goals AS g (case_id, statement, life_domain, held_by, held_by_role, priority, "
     "client_agreement, target_date, next_evaluation, request_id) "
     "VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6, $7, $8::date, $9::date, $10::uuid) RETURNING " GOAL_JSON},
    {"careplan.goal_standing",
     "SELECT state, version FROM careplan.goals WHERE case_id = $1::uuid AND goal_id = $2::uuid"},
    {"careplan.goal_get",
     "SELECT careplan.goal_json(g, true)::text FROM careplan.goals g WHERE case_id = $1::uuid AND goal_id = $2::uuid"},
    {"careplan.goal_update",
     "UPDATE careplan.goals g SET statement = COALESCE($3, statement), life_domain = COALESCE($4, life_domain), "
     "priority = COALESCE($5, priority), client_agreement = COALESCE($6, client_agreement), "
     "target_date = CASE WHEN $7 THEN $8::date ELSE target_date END, "
     "next_evaluation = CASE WHEN $9 THEN $10::date ELSE next_evaluation END, "
     "version = version + 1, update_time = now() WHERE case_id = $1::uuid AND goal_id = $2::uuid RETURNING " GOAL_JSON},
    {"careplan.goal_state",
     "UPDATE careplan.goals g SET state = $3, state_reason = $4, version = version + 1, update_time = now() "
     "WHERE case_id = $1::uuid AND goal_id = $2::uuid RETURNING " GOAL_JSON},
    {"careplan.goal_touch",
     "UPDATE careplan.goals g SET version = version + 1, update_time = now() "
     "WHERE case_id = $1::uuid AND goal_id = $2::uuid RETURNING " GOAL_JSON},
    {"careplan.goals_existing",
     "SELECT goal_id::text FROM careplan.goals WHERE case_id = $1::uuid AND goal_id = ANY($2::uuid[])"},
    {"careplan.goals_list",
     "SELECT " GOAL_JSON ", g.position FROM careplan.goals g WHERE g.case_id = $1::uuid "
     "AND ($2::smallint IS NULL OR g.life_domain = $2) AND ($3::smallint IS NULL OR g.state = $3) "
     "AND g.position > $4 ORDER BY g.position LIMIT $5"},
    // Goals still being worked on (ACCEPTED, ACTIVE, ON_HOLD) whose next evaluation has passed:
    // it lies before $4, today in Belgium (not PostgreSQL's current_date, which follows the
    // server's time zone setting).
    {"careplan.goals_overdue",
     "SELECT " GOAL_JSON ", g.position, g.case_id::text FROM careplan.goals g "
     "WHERE g.case_id = ANY($1::uuid[]) AND g.state IN (2, 3, 4) AND g.next_evaluation < $4::date "
     "AND g.position > $2 ORDER BY g.position LIMIT $3"},

    {"careplan.disagreement_put",
     "INSERT INTO careplan.disagreements (case_id, goal_id, participant_id, note, recorded_by) "
     "VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5) ON CONFLICT (case_id, goal_id, participant_id) "
     "DO UPDATE SET note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by, record_time = now()"},
    {"careplan.disagreement_remove",
     "DELETE FROM careplan.disagreements WHERE case_id = $1::uuid AND goal_id = $2::uuid AND participant_id = $3::uuid"},

    {"careplan.action_by_request",
     "SELECT careplan.action_json(a)::text FROM careplan.actions a WHERE case_id = $1::uuid AND request_id = $2::uuid"},
    {"careplan.action_insert",
     "INSERT INTO careplan.actions AS a (case_id, goal_id, description, responsible, due_date, request_id) "
     "VALUES ($1::uuid, $2::uuid, $3, $4::uuid, $5::date, $6::uuid) RETURNING careplan.action_json(a)::text"},
    {"careplan.action_standing",
     "SELECT status, version FROM careplan.actions WHERE case_id = $1::uuid AND action_id = $2::uuid"},
    {"careplan.action_update",
     "UPDATE careplan.actions a SET description = COALESCE($3, description), "
     "responsible = COALESCE($4::uuid, responsible), due_date = CASE WHEN $5 THEN $6::date ELSE due_date END, "
     "status = COALESCE($7, status), version = version + 1, update_time = now() "
     "WHERE case_id = $1::uuid AND action_id = $2::uuid RETURNING careplan.action_json(a)::text"},

    {"careplan.evaluation_by_request",
     "SELECT careplan.evaluation_json(e)::text FROM careplan.evaluations e "
     "WHERE case_id = $1::uuid AND request_id = $2::uuid"},
    {"careplan.evaluation_insert",
     "INSERT INTO careplan.evaluations AS e (case_id, goal_id, evaluation_date, client_rating, client_note, "
     "professional_rating, professional_note, next_evaluation, recorded_by_org, recorded_by, request_id, kind, "
     "referral_id, referral_status, referral_outcome, referral_receiver) "
     "VALUES ($1::uuid, $2::uuid, $3::date, $4, $5, $6, $7, $8::date, $9, $10, $11::uuid, $12, $13::uuid, $14, $15, "
     "$16) "
     "RETURNING careplan.evaluation_json(e)::text"},
    {"careplan.goal_next_evaluation",
     "UPDATE careplan.goals g SET next_evaluation = (SELECT e.next_evaluation FROM careplan.evaluations e "
     "  WHERE e.case_id = g.case_id AND e.goal_id = g.goal_id AND e.kind = 1 "
     "  ORDER BY e.evaluation_date DESC, e.position DESC LIMIT 1), "
     "version = version + 1, update_time = now() WHERE case_id = $1::uuid AND goal_id = $2::uuid"},
    {"careplan.evaluations_list",
     "SELECT careplan.evaluation_json(e)::text, e.position FROM careplan.evaluations e "
     "WHERE case_id = $1::uuid AND goal_id = $2::uuid AND ($3 = 0 OR e.position < $3) "
     "ORDER BY e.position DESC LIMIT $4"},
};

std::string One(const pqxx::result& rows) {
  if (rows.empty()) throw std::logic_error("careplan: the changed row is gone within its transaction");
  return rows[0][0].as<std::string>();
}

std::optional<std::string> Maybe(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

}  // namespace

const std::vector<PreparedStatement>& Statements() { return kStatements; }

void FromJson(const std::string& json, google::protobuf::Message& out) {
  const auto status = google::protobuf::util::JsonStringToMessage(json, &out);
  if (!status.ok()) throw std::runtime_error("careplan: a resource's JSON does not parse: " + status.ToString());
}

OpenedChange OpenChange(pqxx::work& tx, const std::string& case_id) {
  tx.exec_prepared("careplan.case_order_lock", case_id);  // before any write (common/history_order.h)
  const auto row = tx.exec_prepared1("careplan.open_change", case_id);
  return {row[0].as<int64_t>(), static_cast<v1::CarePlanState>(row[1].as<int>()), row[2].as<int>()};
}

void AppendChange(pqxx::work& tx, const std::string& case_id, const OpenedChange& change, const Actor& actor,
                  const ChangeRecord& record, const std::string& snapshot_json) {
  tx.exec_prepared0("careplan.change_append", case_id, change.revision, actor.org, actor.person, record.target,
                    static_cast<int>(record.kind), ArrayLiteral(record.fields), record.reason, snapshot_json);
}

std::optional<std::string> CarePlanJson(pqxx::connection& conn, const std::string& case_id) {
  pqxx::nontransaction tx(conn);
  return Maybe(tx.exec_prepared("careplan.plan_get", case_id));
}

std::string UpdateCarePlan(pqxx::work& tx, const std::string& case_id, bool set_next_review,
                           const std::optional<std::string>& next_review) {
  return One(tx.exec_prepared("careplan.plan_update", case_id, set_next_review, next_review));
}

std::string SetCarePlanState(pqxx::work& tx, const std::string& case_id, v1::CarePlanState state,
                             const std::string& reason) {
  return One(tx.exec_prepared("careplan.plan_state", case_id, static_cast<int>(state), reason));
}

namespace {
// A history entry from the first nine columns of careplan.changes_list or changes_after.
void ReadChange(const pqxx::row& r, v1::CarePlanChange& c) {
    c.set_revision(r[0].as<int64_t>());
    SetTime(c.mutable_change_time(), r[1].as<int64_t>());
    c.set_organization(OrganizationName(r[2].as<std::string>()));
    c.set_person(r[3].as<std::string>());
    c.set_target(r[4].as<std::string>());
    c.set_kind(static_cast<v1::ChangeKind>(r[5].as<int>()));
    for (auto& field : SplitList(r[6].as<std::string>())) c.add_fields(std::move(field));
    c.set_reason(r[7].as<std::string>());
    const auto snapshot = r[8].as<std::string>();
    const auto& target = c.target();
    if (target.find("/goals/") != std::string::npos) FromJson(snapshot, *c.mutable_goal());
    else if (target.find("/actions/") != std::string::npos) FromJson(snapshot, *c.mutable_action());
    else if (target.find("/evaluations/") != std::string::npos) FromJson(snapshot, *c.mutable_evaluation());
    else FromJson(snapshot, *c.mutable_care_plan());
}
}  // namespace

std::optional<int64_t> ListChanges(pqxx::connection& conn, const std::string& case_id, int64_t after, int limit,
                                   v1::ListCarePlanChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("careplan.changes_list", case_id, after, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    auto& c = *out.add_changes();
    ReadChange(r, c);
    return c.revision();
  });
}

void ReadChangesAfter(pqxx::connection& conn, const std::vector<std::string>& case_ids, int64_t after_transaction,
                      int64_t after_revision, int64_t horizon, int limit, v1::ReadPlanChangesResponse& out) {
  pqxx::nontransaction tx(conn);
  for (const auto& r : tx.exec_prepared("careplan.changes_after", ArrayLiteral(case_ids), after_transaction,
                                        after_revision, horizon, limit)) {
    auto& change = *out.add_changes();
    ReadChange(r, *change.mutable_change());
    change.set_case_("cases/" + r[9].as<std::string>());
    change.mutable_position()->set_transaction(r[10].as<int64_t>());
    change.mutable_position()->set_position(change.change().revision());
  }
}

std::optional<std::string> GoalByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                         const std::string& request_id) {
  return Maybe(tx.exec_prepared("careplan.goal_by_request", case_id, request_id));
}

std::string InsertGoal(pqxx::work& tx, const NewGoal& g) {
  return One(tx.exec_prepared("careplan.goal_insert", g.case_id, g.statement, g.life_domain, g.held_by,
                              g.held_by_role, g.priority, g.client_agreement, g.target_date, g.next_evaluation,
                              g.request_id));
}

std::optional<GoalStanding> GoalStandingOf(pqxx::transaction_base& tx, const std::string& case_id,
                                           const std::string& goal_id) {
  const auto rows = tx.exec_prepared("careplan.goal_standing", case_id, goal_id);
  if (rows.empty()) return std::nullopt;
  return GoalStanding{static_cast<v1::GoalState>(rows[0][0].as<int>()), rows[0][1].as<int>()};
}

std::optional<std::string> GoalJson(pqxx::connection& conn, const std::string& case_id, const std::string& goal_id) {
  pqxx::nontransaction tx(conn);
  return Maybe(tx.exec_prepared("careplan.goal_get", case_id, goal_id));
}

std::set<std::string> ExistingGoals(pqxx::connection& conn, const std::string& case_id,
                                    const std::vector<std::string>& goal_ids) {
  pqxx::nontransaction tx(conn);
  std::set<std::string> existing;
  for (const auto& row : tx.exec_prepared("careplan.goals_existing", case_id, ArrayLiteral(goal_ids)))
    existing.insert(row[0].as<std::string>());
  return existing;
}

std::string UpdateGoal(pqxx::work& tx, const std::string& case_id, const std::string& goal_id, const GoalEdit& e) {
  return One(tx.exec_prepared("careplan.goal_update", case_id, goal_id, e.statement, e.life_domain, e.priority,
                              e.client_agreement, e.set_target_date, e.target_date, e.set_next_evaluation,
                              e.next_evaluation));
}

std::string SetGoalState(pqxx::work& tx, const std::string& case_id, const std::string& goal_id,
                         v1::GoalState state, const std::string& reason) {
  return One(tx.exec_prepared("careplan.goal_state", case_id, goal_id, static_cast<int>(state), reason));
}

void PutDisagreement(pqxx::work& tx, const std::string& case_id, const std::string& goal_id,
                     const std::string& participant_id, const std::string& note, const std::string& recorded_by) {
  tx.exec_prepared0("careplan.disagreement_put", case_id, goal_id, participant_id, note, recorded_by);
}

bool RemoveDisagreement(pqxx::work& tx, const std::string& case_id, const std::string& goal_id,
                        const std::string& participant_id) {
  return tx.exec_prepared("careplan.disagreement_remove", case_id, goal_id, participant_id).affected_rows() > 0;
}

std::string TouchGoal(pqxx::work& tx, const std::string& case_id, const std::string& goal_id) {
  return One(tx.exec_prepared("careplan.goal_touch", case_id, goal_id));
}

std::optional<int64_t> ListGoals(pqxx::connection& conn, const std::string& case_id, const GoalFilter& filter,
                                 int64_t after, int limit, v1::ListGoalsResponse& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("careplan.goals_list", case_id, filter.life_domain, filter.state, after, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    FromJson(r[0].as<std::string>(), *out.add_goals());
    return r[1].as<int64_t>();
  });
}

std::optional<int64_t> ListOverdueGoals(pqxx::connection& conn, const std::vector<std::string>& case_ids,
                                        int64_t after, int limit, v1::ListOverdueGoalsResponse& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("careplan.goals_overdue", ArrayLiteral(case_ids), after, limit + 1,
                                      BelgianTodayIso());
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    FromJson(r[0].as<std::string>(), *out.add_goals());
    return r[1].as<int64_t>();
  });
}

std::optional<std::string> ActionByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                           const std::string& request_id) {
  return Maybe(tx.exec_prepared("careplan.action_by_request", case_id, request_id));
}

std::string InsertAction(pqxx::work& tx, const NewAction& a) {
  return One(tx.exec_prepared("careplan.action_insert", a.case_id, a.goal_id, a.description, a.responsible,
                              a.due_date, a.request_id));
}

std::optional<ActionStanding> ActionStandingOf(pqxx::transaction_base& tx, const std::string& case_id,
                                               const std::string& action_id) {
  const auto rows = tx.exec_prepared("careplan.action_standing", case_id, action_id);
  if (rows.empty()) return std::nullopt;
  return ActionStanding{static_cast<v1::ActionStatus>(rows[0][0].as<int>()), rows[0][1].as<int>()};
}

std::string UpdateAction(pqxx::work& tx, const std::string& case_id, const std::string& action_id,
                         const ActionEdit& e) {
  return One(tx.exec_prepared("careplan.action_update", case_id, action_id, e.description, e.responsible,
                              e.set_due_date, e.due_date, e.status));
}

std::optional<std::string> EvaluationByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                               const std::string& request_id) {
  return Maybe(tx.exec_prepared("careplan.evaluation_by_request", case_id, request_id));
}

std::string InsertEvaluation(pqxx::work& tx, const NewEvaluation& e, const Actor& actor) {
  auto json = One(tx.exec_prepared("careplan.evaluation_insert", e.case_id, e.goal_id, e.evaluation_date,
                                   e.client_rating, e.client_note, e.professional_rating, e.professional_note,
                                   e.next_evaluation, actor.org, actor.person, e.request_id, e.kind, e.referral_id,
                                   e.referral_status, e.referral_outcome, e.referral_receiver));
  if (e.kind == v1::EVALUATION_KIND_REVIEW) tx.exec_prepared0("careplan.goal_next_evaluation", e.case_id, e.goal_id);
  return json;
}

std::optional<int64_t> ListEvaluations(pqxx::connection& conn, const std::string& case_id, const std::string& goal_id,
                                       int64_t before, int limit, v1::ListEvaluationsResponse& out) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_prepared("careplan.evaluations_list", case_id, goal_id, before, limit + 1);
  return ReadPage(rows, limit, [&](const pqxx::row& r) {
    FromJson(r[0].as<std::string>(), *out.add_evaluations());
    return r[1].as<int64_t>();
  });
}

}  // namespace kp::careplan
