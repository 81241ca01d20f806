#pragma once
// Internal to the compiler: resolves the parsed files of one composition chain
// (base first) into a CompiledPolicy, remembering where each resolved thing was
// written so later checks can point at it. build_*.cc fill it section by
// section; semantic_checks.cc then checks the whole.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "policy/compiler/ast.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::policy {

struct ResolvedFlow {
  const FlowDecl* decl = nullptr;
  size_t firstRule = 0;  // index range in policy.flows (after the invariant rules)
  size_t endRule = 0;
  std::vector<SourceLocation> targetAt;  // per expanded rule: where its 'to' entry was written
};

// A destination of a flow or invariant, resolved: a zone, prefixes, or both.
struct Target {
  tables::ZoneId zone = tables::kNoZone;
  std::vector<tables::Prefix> prefixes;
  std::vector<tables::Prefix> except;
  std::string label;  // as written
};

inline constexpr long kDefaultReauthPeriod = 3600;  // seconds, hostapd's eap_reauth_period
inline constexpr long kMaxReauthPeriod = 86400 * 7;

class PolicyBuilder {
 public:
  PolicyBuilder(std::vector<PolicyFile>& chain, Diagnostics& diags) : chain_(chain), diags_(diags) {}

  // Resolves every section and runs the semantic checks. The result is sealed.
  tables::CompiledPolicy build();

 private:
  // build_sections.cc
  void buildHeader();
  void buildZones();
  void buildZoneFrames(const ZoneDecl& z, tables::Zone& zone);                             // link_local, ethertypes
  std::optional<tables::DeviceClass::Dhcpv6VendorClass> dhcpv6VendorClass(const Text& t);  // "311:MSFT 5.0"; error if not
  void buildDestinations();
  void buildFingerprints();  // before buildClasses: classes name its categories
  void buildClasses();
  void buildInventory();
  void buildPorts();
  void buildDot1x();  // after ports and classes
  void buildFlows();
  void buildInvariants();
  void buildSinksAndAlerts();
  void buildMaintenance();
  // build_retention.cc
  void buildRetention();
  void buildManagementRoles();
  void buildPins();
  void buildTests();
  // semantic_checks.cc
  void checkInvariants();
  void checkShadowedFlows();
  void checkClassesCanMatch();
  void checkEvidenceBeforeAddress(const tables::DeviceClass& c);
  void prependInvariantRules();

  // Helpers.
  bool isBase(size_t fileIndex) const { return fileIndex + 1 < chain_.size(); }
  tables::ZoneId zoneRef(const Text& name, std::string_view what);
  std::optional<Target> resolveTarget(const Text& entry, std::string_view what);
  // Reports a malformed name (zone, class, ...); true when the name is fine.
  bool checkName(const Text& name, std::string_view kind);
  void undefined(const Text& name, std::string_view kind, const std::vector<std::string>& known);
  // A name clash between two definitions; `baseRule` explains when the first came from a base.
  void duplicate(const Text& name, std::string_view kind, const SourceLocation& first, bool firstFromBase);

  std::vector<PolicyFile>& chain_;
  Diagnostics& diags_;
  tables::CompiledPolicy out_;

  std::map<std::string, SourceLocation> zoneAt_;
  std::map<std::string, std::pair<const DestinationDecl*, SourceLocation>> destinations_;
  std::map<std::string, SourceLocation> classAt_;
  std::map<std::string, SourceLocation> classZoneAt_;
  std::map<std::string, SourceLocation> classEvidenceAt_;
  std::map<std::string, std::vector<tables::Signal>> classSignals_;  // the kinds each class has match rules for
  std::set<std::string> fingerprintCategories_;                      // of the policy's fingerprint data
  bool fingerprintDataFailed_ = false;  // a fingerprint file was missing or bad (already an error)
  std::map<std::string, bool> classEnabled_;
  std::map<std::string, SourceLocation> sinkAt_;
  std::map<std::string, SourceLocation> invariantAt_;
  std::vector<const InvariantDecl*> invariantDecls_;  // parallel to out_.invariants
  std::vector<ResolvedFlow> flows_;
  std::vector<const PortDecl*> portDecls_;  // parallel to out_.ports
  std::map<std::string, SourceLocation> pinAt_;
  std::vector<const PinDecl*> pinDecls_;
};

}  // namespace portvakt::policy
