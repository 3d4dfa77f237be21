// controller/readiness.hpp.
#include "controller/readiness.hpp"

#include <exception>

#include "controller/log.hpp"

namespace telemed {

Readiness::Readiness(std::chrono::milliseconds interval, std::chrono::milliseconds stale_after)
    : interval_(interval), stale_after_(stale_after) {}

Readiness::~Readiness() { stop(); }

void Readiness::add(std::string name, Check check) {
    auto p = std::make_unique<Probe>();
    p->name = std::move(name);
    p->check = std::move(check);
    probes_.push_back(std::move(p));
}

void Readiness::start() {
    if (started_) return;
    started_ = true;
    for (auto& p : probes_) {
        Probe* probe = p.get();
        probe->thread = std::thread([this, probe] { run(*probe); });
    }
}

void Readiness::stop() {
    {
        std::lock_guard<std::mutex> lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    // A check in progress ends by its own deadline.
    for (auto& p : probes_)
        if (p->thread.joinable()) p->thread.join();
}

void Readiness::run(Probe& p) {
    bool was_up = true;  // log only changes (the first "down" included)
    for (;;) {
        bool ok = false;
        try {
            ok = p.check();
        } catch (const std::exception&) {
            ok = false;
        } catch (...) {
            ok = false;
        }
        if (ok) p.last_success.store(Clock::now().time_since_epoch().count());
        p.last_ok.store(ok);
        if (ok != was_up) {
            if (ok)
                log_info("readiness: %s is up", p.name.c_str());
            else
                log_warn("readiness: %s is down", p.name.c_str());
            was_up = ok;
        }
        std::unique_lock<std::mutex> lk(mu_);
        if (cv_.wait_for(lk, interval_, [this] { return stopping_; })) return;
    }
}

bool Readiness::is_up(const Probe& p, Clock::time_point now) const {
    const Clock::rep last = p.last_success.load();
    if (last == 0 || !p.last_ok.load()) return false;
    return now - Clock::time_point(Clock::duration(last)) <= stale_after_;
}

std::vector<Readiness::Status> Readiness::snapshot() const {
    const Clock::time_point now = Clock::now();
    std::vector<Status> out;
    for (const auto& p : probes_) out.push_back(Status{p->name, is_up(*p, now)});
    return out;
}

}  // namespace telemed
