// kruispuntd: every Kruispunt service in one process (a laptop, a test run, a small deployment).
#include "cases/grpc/case_service.h"

int main(int argc, char** argv) {
  return kp::RunServerMain(argc, argv, "kruispuntd",
                           "Kruispunt: every service in one process.",
                           {kp::cases::CaseServiceModule()});
}
