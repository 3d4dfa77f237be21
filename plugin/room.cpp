#include "plugin/room.hpp"

#include <iterator>
#include <utility>

namespace telemed::plugin {
namespace {

// map[key] = value; a new key only while the map holds fewer than `max`.
template <class Map, class V>
bool bounded_put(Map& map, const std::string& key, V value, std::size_t max) {
    auto it = map.find(key);
    if (it != map.end()) {
        it->second = std::move(value);
        return true;
    }
    if (map.size() >= max) return false;
    map.emplace(key, std::move(value));
    return true;
}

}  // namespace

std::string_view to_string(RoomState s) {
    return s == RoomState::Active ? "active" : "scheduled";
}

std::shared_ptr<Participant> Room::member(std::string_view participant_id) const {
    auto it = members_.find(participant_id);
    return it == members_.end() ? nullptr : it->second;
}

void Room::add_member(const std::string& participant_id, std::shared_ptr<Participant> p) {
    members_[participant_id] = std::move(p);
}

std::shared_ptr<Participant> Room::remove_member(std::string_view participant_id) {
    auto it = members_.find(participant_id);
    if (it == members_.end()) return nullptr;
    auto p = std::move(it->second);
    members_.erase(it);
    return p;
}

bool Room::is_revoked(std::string_view participant_id) const {
    return revoked_.find(participant_id) != revoked_.end();
}

bool Room::revoke(const std::string& participant_id) {
    if (revoked_.count(participant_id) != 0) return true;
    if (revoked_.size() >= kMaxRevokedPerRoom) return false;
    revoked_.insert(participant_id);
    prechecks_.erase(participant_id);
    return true;
}

const Precheck* Room::precheck(std::string_view participant_id) const {
    auto it = prechecks_.find(participant_id);
    return it == prechecks_.end() ? nullptr : &it->second;
}

bool Room::set_precheck(const std::string& participant_id, const Precheck& p) {
    return bounded_put(prechecks_, participant_id, p, kMaxGrantsPerRoom);
}

ConsentState Room::consent(std::string_view participant_id) const {
    auto it = consents_.find(participant_id);
    return it == consents_.end() ? ConsentState{} : it->second;
}

bool Room::set_consent(const std::string& participant_id, const ConsentState& c) {
    return bounded_put(consents_, participant_id, c, kMaxConsentsPerRoom);
}

MuteState Room::mute_state(std::string_view participant_id) const {
    auto it = mutes_.find(participant_id);
    return it == mutes_.end() ? MuteState{} : it->second;
}

void Room::set_mute_state(const std::string& participant_id, MuteState m) {
    if (m.all() == 0) {
        mutes_.erase(participant_id);
        return;
    }
    // Bounded by the grant table's limit: mutes only exist for ids that joined.
    if (mutes_.size() >= kMaxGrantsPerRoom && mutes_.count(participant_id) == 0) return;
    mutes_[participant_id] = std::move(m);
}

void Room::remember_departure(const std::string& participant_id, int64_t now, int64_t horizon) {
    for (auto it = departures_.begin(); it != departures_.end();)
        it = it->second < now - horizon ? departures_.erase(it) : std::next(it);
    if (departures_.size() >= kMaxGrantsPerRoom) return;
    departures_[participant_id] = now;
}

bool Room::departed_since(std::string_view participant_id, int64_t since) const {
    auto it = departures_.find(participant_id);
    return it != departures_.end() && it->second >= since;
}

std::vector<std::string> Room::departed_ids(int64_t since) const {
    std::vector<std::string> out;
    for (const auto& [pid, when] : departures_)
        if (when >= since) out.push_back(pid);
    return out;
}

void Room::forget_departure(std::string_view participant_id) {
    auto it = departures_.find(participant_id);
    if (it != departures_.end()) departures_.erase(it);
}

const StoredGrant* Room::grant(std::string_view participant_id) const {
    auto it = grants_.find(participant_id);
    return it == grants_.end() ? nullptr : &it->second;
}

bool Room::store_grant(const std::string& participant_id, StoredGrant g) {
    return bounded_put(grants_, participant_id, std::move(g), kMaxGrantsPerRoom);
}

bool Room::remember_delivered(const std::string& message_id) {
    if (!delivered_ids_.insert(message_id).second) return false;
    delivered_order_.push_back(message_id);
    if (delivered_order_.size() > kMaxRememberedChatIds) {
        delivered_ids_.erase(delivered_order_.front());
        delivered_order_.pop_front();
    }
    return true;
}

}  // namespace telemed::plugin
