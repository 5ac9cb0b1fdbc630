// SocialMapService (kruispunt.socialmap.v1): the social map. See proto/kruispunt/socialmap.
#pragma once

#include "common/module.h"

namespace kp::socialmap {

ServiceModule SocialMapServiceModule();

}  // namespace kp::socialmap
