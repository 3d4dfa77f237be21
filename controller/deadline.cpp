// controller/deadline.hpp.
#include "controller/deadline.hpp"

namespace telemed {
namespace {

thread_local std::optional<SteadyTime> g_deadline;

}  // namespace

std::optional<SteadyTime> thread_deadline() { return g_deadline; }

SteadyTime clamp_to_thread_deadline(SteadyTime t) { return g_deadline && *g_deadline < t ? *g_deadline : t; }

ScopedDeadline::ScopedDeadline(SteadyTime deadline) : previous_(g_deadline) {
    if (!g_deadline || deadline < *g_deadline) g_deadline = deadline;
}

ScopedDeadline::~ScopedDeadline() { g_deadline = previous_; }

}  // namespace telemed
