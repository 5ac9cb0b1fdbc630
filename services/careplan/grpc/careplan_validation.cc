#include "careplan/grpc/careplan_validation.h"

#include "kruispunt/type/v1/life_domain.pb.h"

namespace kp::careplan {

namespace {

constexpr std::size_t kStatementMax = 1000, kNoteMax = 2000, kReasonMax = 1000, kDescriptionMax = 1000;

// A child of this case named in a field ("cases/{case}/participants/{id}"): its id.
std::string ChildOf(Violations& v, const std::string& field, const std::string& name, const char* collection,
                    const std::string& case_id) {
  auto parsed = ParseChildName(name, collection);
  if (!parsed || parsed->first != case_id) {
    std::string what = collection;
    what.pop_back();  // "participants" -> "participant"
    v.Add(field, "must name a " + what + " of this case: 'cases/{uuid}/" + collection + "/{uuid}'");
    return "";
  }
  return parsed->second;
}

void CheckLifeDomain(Violations& v, const std::string& field, int domain) {
  if (domain == 0 || !kruispunt::type::v1::LifeDomain_IsValid(domain)) v.Add(field, "must be a life domain");
}

void CheckPriority(Violations& v, const std::string& field, int priority) {
  if (priority < 1 || priority > kMaxPriority)
    v.Add(field, "must be the client's priority: 1 (most important) to " + std::to_string(kMaxPriority));
}

void CheckAgreement(Violations& v, const std::string& field, int agreement) {
  if (agreement == 0 || !v1::ClientAgreement_IsValid(agreement))
    v.Add(field, "must be AGREES, NOT_YET or DISAGREES");
}


}  // namespace

std::string RequirePlanName(const std::string& name, std::string_view field) {
  const std::string suffix = "/carePlan";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    if (auto id = ParseResourceName(name.substr(0, name.size() - suffix.size()), "cases")) return *id;
  }
  throw Error::InvalidField(std::string(field), "must be 'cases/{uuid}/carePlan'");
}

PlanUpdate ValidateUpdateCarePlan(const v1::UpdateCarePlanRequest& request) {
  const auto& p = request.care_plan();
  PlanUpdate out;
  out.case_id = RequirePlanName(p.name(), "care_plan.name");
  Violations v;
  const auto paths = MaskPaths(v, request.update_mask(), {"next_review_date"});
  out.etag = ParseEtag(p.etag());
  if (paths.count("next_review_date")) {
    out.set_next_review = true;
    out.next_review = IsoDate(v, "care_plan.next_review_date", p.has_next_review_date(), p.next_review_date(), false);
    out.fields.push_back("next_review_date");
  }
  v.ThrowIfAny();
  return out;
}

StateChange ValidatePlanStateChange(const v1::ChangeCarePlanStateRequest& request, PlanChange change) {
  StateChange out;
  out.case_id = RequirePlanName(request.name(), "name");
  Violations v;
  out.etag = ParseEtag(request.etag());
  v.Text("reason", request.reason(), NeedsReason(change) ? 1 : 0, kReasonMax, /*multiline=*/true);
  v.ThrowIfAny();
  out.reason = request.reason();
  return out;
}

StateChange ValidateGoalStateChange(const v1::ChangeGoalStateRequest& request, GoalChange change) {
  StateChange out;
  std::tie(out.case_id, out.child_id) = RequireChildName(request.name(), "goals", "name");
  Violations v;
  out.etag = ParseEtag(request.etag());
  v.Text("reason", request.reason(), NeedsReason(change) ? 1 : 0, kReasonMax, /*multiline=*/true);
  if (change == GoalChange::kConclude) {
    if (!IsOutcome(request.outcome())) v.Add("outcome", "must be ACHIEVED, PARTLY_ACHIEVED or NOT_ACHIEVED");
    out.outcome = request.outcome();
  } else if (request.outcome() != v1::GOAL_STATE_UNSPECIFIED) {
    v.Add("outcome", "is only for ConcludeGoal");
  }
  v.ThrowIfAny();
  out.reason = request.reason();
  return out;
}

NewGoal ValidateCreateGoal(const v1::CreateGoalRequest& request) {
  NewGoal out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  const auto& g = request.goal();
  Violations v;
  v.Text("goal.statement", g.statement(), 1, kStatementMax, /*multiline=*/true);
  CheckLifeDomain(v, "goal.life_domain", g.life_domain());
  out.held_by = ChildOf(v, "goal.held_by", g.held_by(), "participants", out.case_id);
  CheckPriority(v, "goal.priority", g.priority());
  if (g.client_agreement() != v1::CLIENT_AGREEMENT_UNSPECIFIED) CheckAgreement(v, "goal.client_agreement", g.client_agreement());
  if (g.state() != v1::GOAL_STATE_UNSPECIFIED) v.Add("goal.state", "is set by the goal's lifecycle: a goal starts PROPOSED");
  if (g.disagreements_size() > 0) v.Add("goal.disagreements", "are recorded with RecordDisagreement");
  out.target_date = IsoDate(v, "goal.target_date", g.has_target_date(), g.target_date(), false);
  out.next_evaluation = IsoDate(v, "goal.next_evaluation_date", g.has_next_evaluation_date(), g.next_evaluation_date(), false);
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  out.statement = g.statement();
  out.life_domain = g.life_domain();
  out.priority = g.priority();
  out.client_agreement = g.client_agreement() == v1::CLIENT_AGREEMENT_UNSPECIFIED ? v1::CLIENT_AGREEMENT_NOT_YET
                                                                                  : g.client_agreement();
  return out;
}

GoalUpdate ValidateUpdateGoal(const v1::UpdateGoalRequest& request) {
  const auto& g = request.goal();
  GoalUpdate out;
  std::tie(out.case_id, out.goal_id) = RequireChildName(g.name(), "goals", "goal.name");
  Violations v;
  const auto paths = MaskPaths(v, request.update_mask(),
                               {"statement", "life_domain", "priority", "client_agreement", "target_date",
                                "next_evaluation_date"});
  out.etag = ParseEtag(g.etag());
  auto& e = out.edit;
  if (paths.count("statement")) {
    v.Text("goal.statement", g.statement(), 1, kStatementMax, /*multiline=*/true);
    e.statement = g.statement();
  }
  if (paths.count("life_domain")) {
    CheckLifeDomain(v, "goal.life_domain", g.life_domain());
    e.life_domain = g.life_domain();
  }
  if (paths.count("priority")) {
    CheckPriority(v, "goal.priority", g.priority());
    e.priority = g.priority();
  }
  if (paths.count("client_agreement")) {
    CheckAgreement(v, "goal.client_agreement", g.client_agreement());
    e.client_agreement = g.client_agreement();
  }
  if (paths.count("target_date")) {
    e.set_target_date = true;
    e.target_date = IsoDate(v, "goal.target_date", g.has_target_date(), g.target_date(), false);
  }
  if (paths.count("next_evaluation_date")) {
    e.set_next_evaluation = true;
    e.next_evaluation = IsoDate(v, "goal.next_evaluation_date", g.has_next_evaluation_date(), g.next_evaluation_date(), false);
  }
  out.fields.assign(paths.begin(), paths.end());
  v.ThrowIfAny();
  return out;
}

DisagreementInput ValidateRecordDisagreement(const v1::RecordDisagreementRequest& request) {
  DisagreementInput out;
  std::tie(out.case_id, out.goal_id) = RequireChildName(request.goal(), "goals", "goal");
  Violations v;
  out.participant_id = ChildOf(v, "participant", request.participant(), "participants", out.case_id);
  v.Text("note", request.note(), 1, kNoteMax, /*multiline=*/true);
  v.ThrowIfAny();
  out.note = request.note();
  return out;
}

DisagreementInput ValidateWithdrawDisagreement(const v1::WithdrawDisagreementRequest& request) {
  DisagreementInput out;
  std::tie(out.case_id, out.goal_id) = RequireChildName(request.goal(), "goals", "goal");
  Violations v;
  out.participant_id = ChildOf(v, "participant", request.participant(), "participants", out.case_id);
  v.ThrowIfAny();
  return out;
}

NewAction ValidateCreateAction(const v1::CreateActionRequest& request) {
  NewAction out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  const auto& a = request.action();
  Violations v;
  out.goal_id = ChildOf(v, "action.goal", a.goal(), "goals", out.case_id);
  v.Text("action.description", a.description(), 1, kDescriptionMax, /*multiline=*/true);
  out.responsible = ChildOf(v, "action.responsible", a.responsible(), "participants", out.case_id);
  out.due_date = IsoDate(v, "action.due_date", a.has_due_date(), a.due_date(), false);
  if (a.status() != v1::ACTION_STATUS_UNSPECIFIED) v.Add("action.status", "is set by UpdateAction: an action starts PLANNED");
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  out.description = a.description();
  return out;
}

ActionUpdate ValidateUpdateAction(const v1::UpdateActionRequest& request) {
  const auto& a = request.action();
  ActionUpdate out;
  std::tie(out.case_id, out.action_id) = RequireChildName(a.name(), "actions", "action.name");
  Violations v;
  const auto paths = MaskPaths(v, request.update_mask(), {"description", "responsible", "due_date", "status"});
  out.etag = ParseEtag(a.etag());
  auto& e = out.edit;
  if (paths.count("description")) {
    v.Text("action.description", a.description(), 1, kDescriptionMax, /*multiline=*/true);
    e.description = a.description();
  }
  if (paths.count("responsible")) e.responsible = ChildOf(v, "action.responsible", a.responsible(), "participants", out.case_id);
  if (paths.count("due_date")) {
    e.set_due_date = true;
    e.due_date = IsoDate(v, "action.due_date", a.has_due_date(), a.due_date(), false);
  }
  if (paths.count("status")) {
    if (a.status() == 0 || !v1::ActionStatus_IsValid(a.status()))
      v.Add("action.status", "must be PLANNED, IN_PROGRESS, DONE or CANCELLED");
    e.status = a.status();
  }
  out.fields.assign(paths.begin(), paths.end());
  v.ThrowIfAny();
  return out;
}

NewEvaluation ValidateRecordEvaluation(const v1::RecordEvaluationRequest& request, const std::string& today) {
  NewEvaluation out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  const auto& e = request.evaluation();
  Violations v;
  out.goal_id = ChildOf(v, "evaluation.goal", e.goal(), "goals", out.case_id);
  const auto on = IsoDate(v, "evaluation.evaluation_date", e.has_evaluation_date(), e.evaluation_date(), true);
  if (on && *on > today) v.Add("evaluation.evaluation_date", "is in the future");
  out.kind = e.kind() == v1::EVALUATION_KIND_UNSPECIFIED ? v1::EVALUATION_KIND_REVIEW : e.kind();
  const bool review = out.kind == v1::EVALUATION_KIND_REVIEW;
  if (!review && out.kind != v1::EVALUATION_KIND_REFERRAL_OUTCOME)
    v.Add("evaluation.kind", "must be REVIEW or REFERRAL_OUTCOME");
  // A review is with the client: the client's own view comes first. A referral's outcome is what
  // was observed; it carries the client's view only when the client gave one.
  if (!e.has_client_rating()) {
    if (review) v.Add("evaluation.client_rating", "is required: the client's own view comes first");
  } else if (e.client_rating().score() < 1 || e.client_rating().score() > 10) {
    v.Add("evaluation.client_rating.score", "must be 1 to 10");
  }
  v.Text("evaluation.client_note", e.client_note(), 0, kNoteMax, /*multiline=*/true);
  if (e.has_professional_rating() && (e.professional_rating().score() < 1 || e.professional_rating().score() > 10))
    v.Add("evaluation.professional_rating.score", "must be 1 to 10");
  v.Text("evaluation.professional_note", e.professional_note(), 0, kNoteMax, /*multiline=*/true);
  if (review) {
    const auto next = IsoDate(v, "evaluation.next_evaluation_date", e.has_next_evaluation_date(), e.next_evaluation_date(), true);
    if (on && next && *next <= *on) v.Add("evaluation.next_evaluation_date", "must be after the evaluation date");
    out.next_evaluation = next;
    if (!e.referral().empty()) v.Add("evaluation.referral", "is only in a REFERRAL_OUTCOME");
  } else {
    if (e.has_next_evaluation_date())
      v.Add("evaluation.next_evaluation_date", "is not set by a referral's outcome: the next review is chosen with the client");
    out.referral_id = ChildOf(v, "evaluation.referral", e.referral(), "referrals", out.case_id);
  }
  if (e.has_referral_outcome()) v.Add("evaluation.referral_outcome", "is output only: it is read from the referral");
  if (!e.recorded_by().empty() || !e.recorded_by_organization().empty())
    v.Add("evaluation.recorded_by", "is output only: it is the caller");
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  out.evaluation_date = *on;
  if (e.has_client_rating()) out.client_rating = e.client_rating().score();
  out.client_note = e.client_note();
  if (e.has_professional_rating()) out.professional_rating = e.professional_rating().score();
  out.professional_note = e.professional_note();
  return out;
}

GoalsQuestion ValidateDescribeGoals(const v1::DescribeGoalsRequest& request) {
  GoalsQuestion out;
  out.case_id = RequireName(request.parent(), "cases", "parent");
  Violations v;
  v.AtMost("goals", request.goals_size(), kDescribeGoalsMax, "goals");
  for (int i = 0; i < request.goals_size() && i < kDescribeGoalsMax; ++i) {
    const auto goal = ParseChildName(request.goals(i), "goals");
    if (!goal || goal->first != out.case_id)
      v.Add("goals[" + std::to_string(i) + "]", "must be a goal of the parent case: 'cases/{uuid}/goals/{uuid}'");
    else out.goal_ids.push_back(goal->second);
  }
  v.ThrowIfAny();
  return out;
}

}  // namespace kp::careplan
