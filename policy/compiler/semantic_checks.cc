// Checks that need the whole composed policy: invariants against flows, classes
// and pins; rules hidden behind earlier ones; classes that cannot match.
#include <algorithm>

#include "policy/compiler/policy_builder.h"

namespace portvakt::policy {

using namespace tables;

namespace {

bool coveredByExcept(const Prefix& p, const std::vector<Prefix>& except) {
  return std::any_of(except.begin(), except.end(), [&](const Prefix& e) { return e.contains(p); });
}

// The part of `rule`'s destination that lies inside `target`, if any, as text.
std::optional<std::string> reachedPrefix(const FlowRule& rule, const std::vector<Prefix>& target) {
  for (const Prefix& p : rule.toPrefixes) {
    for (const Prefix& t : target) {
      if (!p.overlaps(t)) continue;
      const Prefix& inner = p.contains(t) ? t : p;
      if (!coveredByExcept(inner, rule.exceptPrefixes)) return inner.toString();
    }
  }
  return std::nullopt;
}

bool protocolCovers(Protocol outer, Protocol inner) { return outer == Protocol::kAny || outer == inner; }

bool destinationCovers(const FlowRule& outer, const FlowRule& inner) {
  if (!outer.exceptPrefixes.empty()) return false;
  if (inner.toZone != kNoZone && inner.toZone != outer.toZone) return false;
  if (inner.toZone == kNoZone && inner.toPrefixes.empty()) return false;
  return std::all_of(inner.toPrefixes.begin(), inner.toPrefixes.end(), [&](const Prefix& p) {
    return std::any_of(outer.toPrefixes.begin(), outer.toPrefixes.end(), [&](const Prefix& o) { return o.contains(p); });
  });
}

bool ruleCovers(const FlowRule& outer, const FlowRule& inner) {
  return outer.from == inner.from && protocolCovers(outer.protocol, inner.protocol) &&
         (outer.protocol == Protocol::kAny || outer.ports.covers(inner.ports)) && destinationCovers(outer, inner);
}

}  // namespace

void PolicyBuilder::checkInvariants() {
  for (size_t k = 0; k < out_.invariants.size(); ++k) {
    const Invariant& inv = out_.invariants[k];
    const InvariantDecl& decl = *invariantDecls_[k];
    DiagnosticNote declared{decl.name.at, "invariant '" + inv.name + "' is declared here"};
    if (inv.kind == Invariant::Kind::kNeverReaches) {
      if (inv.from == kNoZone) continue;
      for (const ResolvedFlow& rf : flows_) {
        for (size_t i = rf.firstRule; i < rf.endRule; ++i) {
          const FlowRule& rule = out_.flows[i];
          if (rule.action != Action::kAllow || rule.from != inv.from) continue;
          std::string reached;
          if (inv.toZone != kNoZone && rule.toZone == inv.toZone) {
            reached = "zone '" + out_.zoneName(inv.toZone) + "'";
          } else if (auto p = reachedPrefix(rule, inv.toPrefixes)) {
            reached = *p;
          } else {
            continue;
          }
          std::string target = inv.toZone != kNoZone ? out_.zoneName(inv.toZone)
                               : decl.to.empty()     ? ""
                                                     : decl.to.front().value;
          diags_
              .error(rf.targetAt[i - rf.firstRule], "invariant-violation",
                     "flow '" + rule.name + "' lets zone '" + out_.zoneName(rule.from) + "' reach " + reached +
                         ", but invariant '" + inv.name + "' says " + out_.zoneName(inv.from) + " never reaches " +
                         target)
              .notes.push_back(declared);
          break;  // one report per flow and invariant
        }
      }
    } else if (inv.zone != kNoZone) {
      auto allowed = [&](const std::string& cls) {
        return std::find(inv.classes.begin(), inv.classes.end(), cls) != inv.classes.end();
      };
      std::string zone = out_.zoneName(inv.zone);
      for (const DeviceClass& c : out_.classes) {
        if (c.zone == inv.zone && !allowed(c.name)) {
          diags_
              .error(classZoneAt_[c.name], "invariant-violation",
                     "class '" + c.name + "' lands in zone '" + zone + "', but invariant '" + inv.name +
                         "' admits only the classes listed there")
              .notes.push_back(declared);
        }
      }
      for (size_t i = 0; i < out_.pins.size(); ++i) {
        const Pin& pin = out_.pins[i];
        if (pin.zone == inv.zone && !allowed(pin.deviceClass)) {
          const PinDecl& pd = *pinDecls_[i];
          diags_
              .error(pd.zone ? pd.zone->at : pd.at, "invariant-violation",
                     "the pin puts " + pin.mac.toString() + " in zone '" + zone + "'" +
                         (pin.deviceClass.empty() ? " without a class" : " as class '" + pin.deviceClass + "'") +
                         ", but invariant '" + inv.name + "' admits only its listed classes")
              .notes.push_back(declared);
        }
      }
      for (size_t i = 0; i < out_.ports.size(); ++i) {
        const Port& port = out_.ports[i];
        const PortDecl& pd = *portDecls_[i];
        if (port.role == PortRole::kAccess && port.defaultZone == inv.zone && pd.defaultZone) {
          diags_
              .error(pd.defaultZone->at, "invariant-violation",
                     "unknown devices on port " + port.interface + " would land in zone '" + zone + "', but invariant '" +
                         inv.name + "' admits only its listed classes")
              .notes.push_back(declared);
          break;  // one report per port entry is enough
        }
      }
    }
  }
}

void PolicyBuilder::checkShadowedFlows() {
  for (size_t j = 0; j < flows_.size(); ++j) {
    const ResolvedFlow& later = flows_[j];
    if (later.firstRule == later.endRule) continue;
    for (size_t i = 0; i < j; ++i) {
      const ResolvedFlow& earlier = flows_[i];
      bool allCovered = true;
      for (size_t r = later.firstRule; r < later.endRule && allCovered; ++r) {
        bool covered = false;
        for (size_t e = earlier.firstRule; e < earlier.endRule && !covered; ++e) {
          covered = ruleCovers(out_.flows[e], out_.flows[r]);
        }
        allCovered = covered;
      }
      if (!allCovered || earlier.firstRule == earlier.endRule) continue;
      bool sameAction = out_.flows[earlier.firstRule].action == out_.flows[later.firstRule].action;
      diags_
          .warning(later.decl->name.at, "shadowed-rule",
                   "flow '" + later.decl->name.value + "' never takes effect: flow '" + earlier.decl->name.value +
                       "' comes first and matches everything it matches" +
                       (sameAction ? " (with the same action)" : " (with the opposite action)"))
          .notes.push_back({earlier.decl->name.at, "the earlier flow is here"});
      break;
    }
  }
}

void PolicyBuilder::checkClassesCanMatch() {
  bool hasAccessPorts =
      std::any_of(out_.ports.begin(), out_.ports.end(), [](const Port& p) { return p.role == PortRole::kAccess; });
  for (const DeviceClass& c : out_.classes) {
    // A base without ports is a template; its sites bring the inventory.
    if (c.inventory && out_.inventory.empty() && !out_.ports.empty()) {
      diags_.warning(classAt_[c.name], "class-never-matches",
                     "class '" + c.name + "' requires inventory membership, but the inventory is empty");
    }
    if (hasAccessPorts && c.zone != kNoZone) {
      bool carried = std::any_of(out_.ports.begin(), out_.ports.end(), [&](const Port& p) {
        return p.role == PortRole::kAccess && std::find(p.zones.begin(), p.zones.end(), c.zone) != p.zones.end();
      });
      if (!carried) {
        diags_.warning(
            classZoneAt_[c.name], "class-unreachable",
            "class '" + c.name + "' lands in zone '" + out_.zoneName(c.zone) + "', but no access port carries that zone");
      }
    }
  }
  for (const DeviceClass& c : out_.classes) checkEvidenceBeforeAddress(c);
  if (hasAccessPorts && std::none_of(out_.zones.begin(), out_.zones.end(), [](const Zone& z) { return z.quarantine; })) {
    diags_.error(chain_.back().top, "no-quarantine",
                 "the policy has access ports but no quarantine zone (a zone with 'quarantine: true')");
  }
}

void PolicyBuilder::checkEvidenceBeforeAddress(const DeviceClass& c) {
  // Where does a device of this class wait while it is being recognised? In
  // the default zone of its access port; a quarantine zone reaches nothing,
  // so no DHCP server answers and the device never gets an address. A base
  // without ports is checked against its quarantine zone: its sites inherit it.
  ZoneId waiting = kNoZone;
  const bool hasAccessPorts =
      std::any_of(out_.ports.begin(), out_.ports.end(), [](const Port& p) { return p.role == PortRole::kAccess; });
  for (const Port& p : out_.ports) {
    if (p.role != PortRole::kAccess || p.defaultZone == kNoZone || !out_.zones[p.defaultZone].quarantine) continue;
    if (std::find(p.zones.begin(), p.zones.end(), c.zone) != p.zones.end()) waiting = p.defaultZone;
  }
  if (!hasAccessPorts) {
    for (size_t z = 0; z < out_.zones.size() && waiting == kNoZone; ++z) {
      if (out_.zones[z].quarantine) waiting = static_cast<ZoneId>(z);
    }
  }
  if (waiting == kNoZone) return;
  std::vector<std::string> before, after;
  for (Signal s : classSignals_[c.name]) (needsAddress(s) ? after : before).push_back(toString(s));
  if (after.empty()) return;
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? std::string("none") : out;
  };
  std::string why;
  bool byCount = false;
  for (Signal s : c.required) {
    if (needsAddress(s)) why = "it requires " + std::string(toString(s));
  }
  for (const auto& group : c.requiredAnyOf) {
    if (std::all_of(group.begin(), group.end(), [](Signal s) { return needsAddress(s); })) {
      std::vector<std::string> names;
      for (Signal s : group) names.push_back(toString(s));
      why = "it requires one of " + list(names);
    }
  }
  if (why.empty() && c.evidenceRequired > static_cast<int>(before.size())) {
    byCount = true;
    why = "it needs " + std::to_string(c.evidenceRequired) + " pieces of evidence and only " +
          std::to_string(before.size()) + " of its match rules (" + list(before) +
          ") can fire before the device has an address";
  }
  if (why.empty()) return;
  Diagnostic& d = diags_.warning(classAt_[c.name], "evidence-needs-address",
                                 "class '" + c.name + "' is never reached by a device waiting in quarantine zone '" +
                                     out_.zoneName(waiting) + "': " + why + "; " + list(after) +
                                     " needs an IP address, which a device there never gets");
  if (byCount && classEvidenceAt_.count(c.name))
    d.notes.push_back({classEvidenceAt_[c.name], "the evidence count is set here"});
}

void PolicyBuilder::prependInvariantRules() {
  // Invariants are enforced before any flow and regardless of monitor mode, so
  // neither a later rule nor a step-by-step roll-out can loosen them.
  std::vector<FlowRule> rules;
  for (const Invariant& inv : out_.invariants) {
    if (inv.kind != Invariant::Kind::kNeverReaches || inv.from == kNoZone) continue;
    FlowRule rule;
    rule.name = "invariant:" + inv.name;
    rule.from = inv.from;
    rule.toZone = inv.toZone;
    rule.toPrefixes = inv.toPrefixes;
    rule.action = Action::kDeny;
    rule.mode = Mode::kEnforce;
    rule.invariant = true;
    rules.push_back(std::move(rule));
  }
  out_.flows.insert(out_.flows.begin(), rules.begin(), rules.end());
}

}  // namespace portvakt::policy
