#include "responder/throttle.h"

#include "common/log.h"
#include "responder/dedup.h"

namespace riposte::responder {
namespace {

constexpr int kCasRounds = 50;

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<Cooldowns::Decision> Cooldowns::enter(const std::string& playbook,
                                             const std::string& target, int64_t period_ms,
                                             const std::string& run) {
  const std::string key = hash_key({"cooldown", playbook, target});
  for (int round = 0; round < kCasRounds; ++round) {
    const int64_t now = now_();
    nlohmann::json fresh = {{"playbook", playbook},
                            {"target", target},
                            {"run", run},
                            {"started", now},
                            {"until", now + period_ms * 1000000},
                            {"suppressed", 0},
                            {"reported", false}};
    auto got = kv_->get(key);
    if (!got) return got.err();
    if (!got->has_value()) {
      auto created = kv_->create(key, dump(fresh));
      if (created) return Decision{true, 0, std::nullopt};
      if (created.code() != ErrorCode::kKeyExists) return created.err();
      continue;
    }
    nlohmann::json w = nlohmann::json::parse((*got)->value, nullptr, false);
    if (!w.is_object()) w = nlohmann::json::object();
    const int64_t until = w.value("until", int64_t{0});
    Result<uint64_t> updated = Error{""};
    Decision d;
    if (until > now) {
      d.suppressed = w.value("suppressed", uint64_t{0}) + 1;
      w["suppressed"] = d.suppressed;
      updated = kv_->update(key, dump(w), (*got)->revision);
      if (updated) {
        std::lock_guard<std::mutex> lock(mu_);
        pending_[key] = until;
      }
    } else {
      d.acquired = true;
      if (w.value("suppressed", uint64_t{0}) > 0 && !w.value("reported", false)) d.unreported = w;
      updated = kv_->update(key, dump(fresh), (*got)->revision);
    }
    if (updated) return d;
    if (updated.code() != ErrorCode::kWrongRevision) return updated.err();
  }
  return Error{"cooldown " + playbook + ": too much contention"};
}

void Cooldowns::sweep(const std::function<bool(const nlohmann::json& window)>& publish,
                      int64_t now_override) {
  std::map<std::string, int64_t> due;
  const int64_t now = now_override > 0 ? now_override : now_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second <= now) {
        due.insert(*it);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [key, until] : due) {
    auto got = kv_->get(key);
    bool retry = !got;
    if (got && got->has_value()) {
      nlohmann::json w = nlohmann::json::parse((*got)->value, nullptr, false);
      // A new window replaced it: whoever started that one reported this one.
      if (w.is_object() && w.value("until", int64_t{0}) == until && !w.value("reported", false) &&
          w.value("suppressed", uint64_t{0}) > 0) {
        w["reported"] = true;
        auto updated = kv_->update(key, dump(w), (*got)->revision);
        if (updated) {
          if (!publish(w)) retry = true;  // the publisher dedups, so trying again is safe
        } else {
          retry = updated.code() != ErrorCode::kWrongRevision;
        }
      }
    }
    if (retry) {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.emplace(key, until);
    }
  }
}

std::optional<std::string> RateLimiter::admit(const std::string& ns) {
  if (per_namespace_ > 0 && !ns.empty()) {
    auto ok = take("namespace/" + ns, per_namespace_);
    if (!ok) {
      log::warn("rate limiter unavailable; allowing the action", {{"error", ok.error()}});
    } else if (!*ok) {
      return "rate limit: more than " + std::to_string(per_namespace_) +
             " actions this minute in namespace " + ns;
    }
  }
  if (global_ > 0) {
    auto ok = take("global", global_);
    if (!ok) {
      log::warn("rate limiter unavailable; allowing the action", {{"error", ok.error()}});
    } else if (!*ok) {
      return "rate limit: more than " + std::to_string(global_) + " actions this minute";
    }
  }
  return std::nullopt;
}

Result<bool> RateLimiter::take(const std::string& scope, int limit) {
  const int64_t minute = now_() / 60'000'000'000LL;
  const std::string key = hash_key({"rate", scope, std::to_string(minute)});
  for (int round = 0; round < kCasRounds; ++round) {
    auto got = kv_->get(key);
    if (!got) return got.err();
    if (!got->has_value()) {
      auto created = kv_->create(key, "1");
      if (created) return true;
      if (created.code() != ErrorCode::kKeyExists) return created.err();
      continue;
    }
    const int64_t count = std::atoll((*got)->value.c_str());
    if (count >= limit) return false;
    auto updated = kv_->update(key, std::to_string(count + 1), (*got)->revision);
    if (updated) return true;
    if (updated.code() != ErrorCode::kWrongRevision) return updated.err();
  }
  return Error{"rate limit " + scope + ": too much contention"};
}

}  // namespace riposte::responder
