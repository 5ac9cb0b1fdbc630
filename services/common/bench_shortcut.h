// Only for bench/run.sh, which builds a second kruispuntd with -DKP_BENCH_BUILD=ON to measure what
// the access decision and its log cost: started with KP_BENCH_SKIP=decision, its services permit
// every access without deciding or logging it; with KP_BENCH_SKIP=log, ConsentService decides but
// answers without writing the access log. Never for a deployment: a normal build has no such path.
#pragma once

namespace kp {

enum class BenchSkip { kNothing, kDecision, kLog };

// KP_BENCH_SKIP, read once (and said in the log, as a warning).
BenchSkip BenchSkipping();

}  // namespace kp
