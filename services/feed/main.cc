// kruispunt-feed: FeedService alone, for deployments that run each service on its own.
#include "feed/grpc/feed_service.h"
#include "host/server.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispunt-feed",
                           "Kruispunt FeedService (kruispunt.feed.v1): the change feed of an organisation's cases.",
                           {kp::feed::FeedServiceModule()});
}
