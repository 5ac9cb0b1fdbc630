// AgreementService (kruispunt.agreements.v1): afspraken. See proto/kruispunt/agreements.
#pragma once

#include "common/module.h"

namespace kp::agreements {

ServiceModule AgreementServiceModule();

}  // namespace kp::agreements
