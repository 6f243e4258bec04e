// The one place that decides how many threads core's parallel kernels use.
#pragma once

namespace es {

// The hardware's thread count (at least 1, at most 64), or $ES_THREADS when it is set to a
// number from 1 to 64 (benchmarks and tests that compare thread counts). Results never depend
// on it: every parallel kernel splits work so that the numbers are the same for any count.
int worker_threads();

// Lowers the calling thread's scheduling priority (nice 10) for work the user is not waiting
// on frame by frame (the desktop's background analyses), so the thread that draws the window
// gets a core when it asks. Threads it starts inherit it. Best effort: failures are ignored.
void lower_thread_priority();

}  // namespace es
