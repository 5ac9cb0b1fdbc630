// FeedService (kruispunt.feed.v1): the change feed of an organisation's cases, in commit order.
// See proto/kruispunt/feed and feed/domain/feed_cursor.h.
#pragma once

#include "common/module.h"

namespace kp::feed {

ServiceModule FeedServiceModule();

}  // namespace kp::feed
