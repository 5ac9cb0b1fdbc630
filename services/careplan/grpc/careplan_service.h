// CarePlanService (kruispunt.careplan.v1): goal-oriented care plans. See proto/kruispunt/careplan.
#pragma once

#include "common/module.h"

namespace kp::careplan {

ServiceModule CarePlanServiceModule();

}  // namespace kp::careplan
