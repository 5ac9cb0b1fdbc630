// ReferralService (kruispunt.referrals.v1): a case's referrals. See proto/kruispunt/referrals.
#pragma once

#include "common/module.h"

namespace kp::referrals {

ServiceModule ReferralServiceModule();

}  // namespace kp::referrals
