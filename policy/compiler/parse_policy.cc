#include "policy/compiler/parse_policy.h"

#include <algorithm>
#include <string_view>

#include "policy/compiler/source_file.h"
#include "policy/compiler/yaml_walker.h"

namespace portvakt::policy {
namespace {

using Node = YAML::Node;

// The top-level keys of a policy (the same list parseTop hands the walker).
constexpr std::string_view kTopKeys[] = {
    "portvakt",     "name",  "description", "extends",   "mode",         "randomized_macs", "mac_mobility", "zones",
    "destinations", "ports", "classes",     "inventory", "flows",        "invariants",      "alerts",       "sinks",
    "maintenance",  "pins",  "tests",       "retention", "fingerprints", "dot1x",           "management"};

class PolicyParser {
 public:
  PolicyParser(YamlWalker& w, PolicyFile& out) : w_(w), out_(out) {}

  // False when the file is not a portvakt policy at all (nothing else is checked).
  bool parseTop(const Node& root) {
    SourceLocation top{w_.display(), 1, 1};
    out_.top = top;
    if (root.IsNull()) {
      w_.diags().error(top, "empty-policy", "the policy file is empty");
      return true;
    }
    if (!looksLikeAPolicy(root)) {
      // Not a portvakt policy at all (someone named /etc/shadow, a key file,
      // another program's YAML): one error, and nothing of it quoted, since
      // every unknown key would quote a line of it.
      w_.visit(root, top);
      w_.diags().error(top, "not-a-policy",
                       "this is not a portvakt policy: it has no 'portvakt: 1' and keys the policy schema does not "
                       "know (its content is not shown)");
      return false;
    }
    w_.forEachEntry(
        root, top, "the policy",
        {"portvakt",     "name",  "description", "extends",   "mode",         "randomized_macs", "mac_mobility", "zones",
         "destinations", "ports", "classes",     "inventory", "flows",        "invariants",      "alerts",       "sinks",
         "maintenance",  "pins",  "tests",       "retention", "fingerprints", "dot1x",           "management"},
        [&](const Text& key, const Node& v) { topEntry(key, v); });
    return true;
  }

 private:
  // A mapping with a 'portvakt' key, or whose keys are all top-level policy
  // keys (a policy that merely forgot 'portvakt: 1' gets its full diagnostics).
  static bool looksLikeAPolicy(const Node& root) {
    if (!root.IsMap()) return true;  // the walker reports the type without quoting
    bool allKnown = true;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const Node key = it->first;
      if (!key.IsScalar()) continue;
      if (key.Scalar() == "portvakt") return true;
      if (std::find(std::begin(kTopKeys), std::end(kTopKeys), key.Scalar()) == std::end(kTopKeys)) allKnown = false;
    }
    return allKnown;
  }

  void topEntry(const Text& key, const Node& v) {
    const std::string& k = key.value;
    const SourceLocation& at = key.at;
    if (k == "portvakt") out_.schemaVersion = w_.integer(v, at, "'portvakt' (the schema version)");
    else if (k == "name") out_.name = w_.text(v, at, "'name'");
    else if (k == "description") w_.freeText(v, at, "'description'");
    else if (k == "extends") out_.extends = w_.text(v, at, "'extends'");
    else if (k == "mode") out_.mode = w_.text(v, at, "'mode'");
    else if (k == "randomized_macs") out_.randomizedMacs = w_.text(v, at, "'randomized_macs'");
    else if (k == "mac_mobility") macMobility(v, at);
    else if (k == "zones") namedMap(v, at, "'zones'", [&](const Text& n, const Node& z) { zone(n, z); });
    else if (k == "destinations")
      namedMap(v, at, "'destinations'", [&](const Text& n, const Node& d) { destination(n, d); });
    else if (k == "classes") namedMap(v, at, "'classes'", [&](const Text& n, const Node& c) { deviceClass(n, c); });
    else if (k == "sinks") namedMap(v, at, "'sinks'", [&](const Text& n, const Node& s) { sink(n, s); });
    else if (k == "ports") list(v, at, "'ports'", [&](const Node& p, const SourceLocation& a) { port(p, a); });
    else if (k == "inventory") inventory(v, at);
    else if (k == "flows") list(v, at, "'flows'", [&](const Node& f, const SourceLocation& a) { flow(f, a); });
    else if (k == "invariants")
      list(v, at, "'invariants'", [&](const Node& i, const SourceLocation& a) { invariant(i, a); });
    else if (k == "alerts") list(v, at, "'alerts'", [&](const Node& a, const SourceLocation& l) { alert(a, l); });
    else if (k == "maintenance")
      list(v, at, "'maintenance'", [&](const Node& m, const SourceLocation& a) { maintenance(m, a); });
    else if (k == "management") management(v, at);
    else if (k == "pins") list(v, at, "'pins'", [&](const Node& p, const SourceLocation& a) { pin(p, a); });
    else if (k == "tests") list(v, at, "'tests'", [&](const Node& t, const SourceLocation& a) { test(t, a); });
    else if (k == "fingerprints") out_.fingerprints = w_.textList(v, at, "'fingerprints' (DHCP fingerprint files)");
    else if (k == "retention") retention(v, at);
    else if (k == "dot1x") dot1x(v, at);
  }

  void retention(const Node& body, const SourceLocation& at) {
    RetentionDecl r;
    r.at = at;
    w_.forEachEntry(body, at, "'retention'", {"devices", "audit"}, [&](const Text& k, const Node& v) {
      if (k.value == "devices") r.devices = w_.text(v, k.at, "retention devices");
      else r.audit = w_.text(v, k.at, "retention audit");
    });
    out_.retention = std::move(r);
  }

  void dot1x(const Node& body, const SourceLocation& at) {
    Dot1xDecl d;
    d.at = at;
    w_.forEachEntry(
        body, at, "'dot1x'",
        {"radius_servers", "nas_identifier", "reauth_period", "radius_unreachable_zone", "fingerprint_mismatch"},
        [&](const Text& k, const Node& v) {
          if (k.value == "radius_servers") d.servers = w_.textList(v, k.at, "dot1x radius_servers");
          else if (k.value == "nas_identifier") d.nasIdentifier = w_.text(v, k.at, "dot1x nas_identifier");
          else if (k.value == "reauth_period") d.reauthPeriod = w_.integer(v, k.at, "dot1x reauth_period");
          else if (k.value == "radius_unreachable_zone")
            d.unreachableZone = w_.text(v, k.at, "dot1x radius_unreachable_zone");
          else if (k.value == "fingerprint_mismatch")
            d.fingerprintMismatch = w_.text(v, k.at, "dot1x fingerprint_mismatch");
        });
    out_.dot1x = std::move(d);
  }

  template <class F>
  void namedMap(const Node& v, const SourceLocation& at, std::string_view what, F&& each) {
    if (v.IsNull()) return;
    w_.forEachEntry(v, at, what, {}, [&](const Text& name, const Node& body) { each(name, body); });
  }

  template <class F>
  void list(const Node& v, const SourceLocation& at, std::string_view what, F&& each) {
    w_.forEachItem(v, at, what, [&](const Node& item, const SourceLocation& itemAt) { each(item, itemAt); });
  }

  // A required key that was not given.
  void missing(const SourceLocation& at, std::string_view what, std::string_view key) {
    w_.diags().error(at, "missing-key", std::string(what) + " needs '" + std::string(key) + "'");
  }

  void macMobility(const Node& body, const SourceLocation& at) {
    MacMobilityDecl m;
    m.at = at;
    const std::string what = "'mac_mobility'";
    w_.forEachEntry(body, at, what, {"window", "moves", "hold"}, [&](const Text& k, const Node& v) {
      if (k.value == "window") m.window = w_.text(v, k.at, what + " window");
      else if (k.value == "moves") m.moves = w_.integer(v, k.at, what + " moves");
      else if (k.value == "hold") m.hold = w_.text(v, k.at, what + " hold");
    });
    out_.macMobility = std::move(m);
  }

  void zone(const Text& name, const Node& body) {
    ZoneDecl z;
    z.name = name;
    std::string what = "zone '" + name.value + "'";
    bool vlanGiven = false;
    w_.forEachEntry(
        body, name.at, what,
        {"vlan", "purpose", "quarantine", "isolated", "priority", "prefixes", "gateways", "link_local", "ethertypes"},
        [&](const Text& k, const Node& v) {
          if (k.value == "vlan") {
            vlanGiven = true;
            z.vlan = w_.integer(v, k.at, what + " vlan");
          } else if (k.value == "purpose") {
            if (auto t = w_.freeText(v, k.at, what + " purpose")) z.purpose = t->value;
          } else if (k.value == "quarantine") {
            if (auto b = w_.boolean(v, k.at, what + " quarantine")) z.quarantine = b->value;
          } else if (k.value == "isolated") {
            if (auto b = w_.boolean(v, k.at, what + " isolated")) z.isolated = b->value;
          } else if (k.value == "priority") z.priority = w_.text(v, k.at, what + " priority");
          else if (k.value == "prefixes") z.prefixes = w_.textList(v, k.at, what + " prefixes");
          else if (k.value == "gateways") z.gateways = w_.textList(v, k.at, what + " gateways");
          else if (k.value == "link_local") z.linkLocal = At<TextList>{w_.textList(v, k.at, what + " link_local"), k.at};
          else if (k.value == "ethertypes") z.etherTypes = At<TextList>{w_.textList(v, k.at, what + " ethertypes"), k.at};
        });
    if (!vlanGiven && body.IsMap()) missing(name.at, what, "vlan");
    out_.zones.push_back(std::move(z));
  }

  void destination(const Text& name, const Node& body) {
    DestinationDecl d;
    d.name = name;
    std::string what = "destination '" + name.value + "'";
    w_.forEachEntry(body, name.at, what, {"prefixes", "except"}, [&](const Text& k, const Node& v) {
      if (k.value == "prefixes") d.prefixes = w_.textList(v, k.at, what + " prefixes");
      else if (k.value == "except") d.except = w_.textList(v, k.at, what + " except");
    });
    if (d.prefixes.empty() && body.IsMap()) missing(name.at, what, "prefixes");
    out_.destinations.push_back(std::move(d));
  }

  void port(const Node& body, const SourceLocation& at) {
    PortDecl p;
    p.at = at;
    w_.forEachEntry(body, at, "a port entry",
                    {"name", "interfaces", "role", "zones", "default_zone", "mode", "optional", "trust", "authentication",
                     "reauth_period"},
                    [&](const Text& k, const Node& v) {
                      if (k.value == "name") {
                        if (auto t = w_.text(v, k.at, "port name")) p.name = *t;
                      } else if (k.value == "interfaces") p.interfaces = w_.textList(v, k.at, "port interfaces");
                      else if (k.value == "role") p.role = w_.text(v, k.at, "port role");
                      else if (k.value == "zones") p.zones = w_.textList(v, k.at, "port zones");
                      else if (k.value == "default_zone") p.defaultZone = w_.text(v, k.at, "port default_zone");
                      else if (k.value == "mode") p.mode = w_.text(v, k.at, "port mode");
                      else if (k.value == "optional") p.optional = w_.boolean(v, k.at, "port optional");
                      else if (k.value == "trust") p.trust = At<TextList>{w_.textList(v, k.at, "port trust"), k.at};
                      else if (k.value == "authentication") p.authentication = w_.text(v, k.at, "port authentication");
                      else if (k.value == "reauth_period") p.reauthPeriod = w_.integer(v, k.at, "port reauth_period");
                    });
    if (!body.IsMap()) return;
    if (p.name.value.empty()) missing(at, "a port entry", "name");
    if (p.interfaces.empty()) missing(at, "port '" + p.name.value + "'", "interfaces");
    if (!p.role) missing(at, "port '" + p.name.value + "'", "role");
    out_.ports.push_back(std::move(p));
  }

  void deviceClass(const Text& name, const Node& body) {
    ClassDecl c;
    c.name = name;
    std::string what = "class '" + name.value + "'";
    int keys = 0;
    w_.forEachEntry(body, name.at, what, {"zone", "priority", "enabled", "match", "evidence", "require"},
                    [&](const Text& k, const Node& v) {
                      ++keys;
                      if (k.value == "zone") c.zone = w_.text(v, k.at, what + " zone");
                      else if (k.value == "priority") c.priority = w_.integer(v, k.at, what + " priority");
                      else if (k.value == "enabled") c.enabled = w_.boolean(v, k.at, what + " enabled");
                      else if (k.value == "match") match(c, v, k.at, what);
                      else if (k.value == "evidence") c.evidence = w_.text(v, k.at, what + " evidence");
                      else if (k.value == "require") require(c, v, k.at, what + " require");
                    });
    c.onlyEnabledKey = keys == 1 && c.enabled.has_value();
    if (body.IsMap() && !c.zone && !c.onlyEnabledKey) missing(name.at, what, "zone");
    out_.classes.push_back(std::move(c));
  }

  // `require: [kind, [kind, kind], ...]`: a kind must fire; of a nested list, one.
  void require(ClassDecl& c, const Node& v, const SourceLocation& at, const std::string& what) {
    if (!v.IsSequence()) {
      c.require = w_.textList(v, at, what);
      return;
    }
    w_.forEachItem(v, at, what, [&](const Node& item, const SourceLocation& itemAt) {
      if (item.IsSequence()) {
        c.requireAnyOf.push_back({w_.textList(item, itemAt, what + " (one of)"), itemAt});
      } else if (auto t = w_.text(item, itemAt, what)) {
        c.require.push_back(*t);
      }
    });
  }

  void match(ClassDecl& c, const Node& body, const SourceLocation& at, const std::string& owner) {
    std::string what = owner + " match";
    w_.forEachEntry(
        body, at, what, {"inventory", "dot1x", "dhcp", "dhcpv6", "lldp_med", "cdp", "sip", "mdns", "oui"},
        [&](const Text& k, const Node& v) {
          if (k.value == "inventory") c.inventory = w_.boolean(v, k.at, what + " inventory");
          else if (k.value == "dot1x") c.dot1x = w_.boolean(v, k.at, what + " dot1x");
          else if (k.value == "oui") c.ouis = w_.textList(v, k.at, what + " oui");
          else if (k.value == "dhcp") {
            w_.forEachEntry(v, k.at, what + " dhcp", {"vendor_class", "parameter_list", "hostname", "fingerprint"},
                            [&](const Text& dk, const Node& dv) {
                              if (dk.value == "vendor_class")
                                c.dhcpVendorClass = w_.textList(dv, dk.at, "dhcp vendor_class");
                              else if (dk.value == "fingerprint")
                                c.dhcpFingerprints = w_.textList(dv, dk.at, "dhcp fingerprint");
                              else if (dk.value == "hostname") c.dhcpHostname = w_.textList(dv, dk.at, "dhcp hostname");
                              else if (dk.value == "parameter_list") {
                                // One list of option codes, or a list of such lists (several OS versions).
                                if (dv.IsSequence() && dv.size() > 0 && dv[0].IsSequence()) {
                                  w_.forEachItem(dv, dk.at, "dhcp parameter_list",
                                                 [&](const Node& item, const SourceLocation& ia) {
                                                   if (auto l = w_.integerList(item, ia, "dhcp parameter_list"))
                                                     c.dhcpParameterLists.push_back(*l);
                                                 });
                                } else if (auto l = w_.integerList(dv, dk.at, "dhcp parameter_list")) {
                                  c.dhcpParameterLists.push_back(*l);
                                }
                              }
                            });
          } else if (k.value == "dhcpv6") {
            w_.forEachEntry(
                v, k.at, what + " dhcpv6", {"vendor_class", "option_request"}, [&](const Text& dk, const Node& dv) {
                  if (dk.value == "vendor_class") {
                    c.dhcpv6VendorClass = w_.textList(dv, dk.at, "dhcpv6 vendor_class");
                  } else if (dv.IsSequence() && dv.size() > 0 && dv[0].IsSequence()) {
                    // One list of option codes, or a list of such lists (several OS versions).
                    w_.forEachItem(dv, dk.at, "dhcpv6 option_request", [&](const Node& item, const SourceLocation& ia) {
                      if (auto l = w_.integerList(item, ia, "dhcpv6 option_request"))
                        c.dhcpv6OptionRequests.push_back(*l);
                    });
                  } else if (auto l = w_.integerList(dv, dk.at, "dhcpv6 option_request")) {
                    c.dhcpv6OptionRequests.push_back(*l);
                  }
                });
          } else if (k.value == "lldp_med") {
            w_.forEachEntry(v, k.at, what + " lldp_med", {"capabilities", "voice_vlan", "applications"},
                            [&](const Text& lk, const Node& lv) {
                              if (lk.value == "capabilities")
                                c.lldpMedCapabilities = w_.textList(lv, lk.at, "lldp_med capabilities");
                              else if (lk.value == "applications")
                                c.lldpMedApplications = w_.textList(lv, lk.at, "lldp_med applications");
                              else c.lldpMedVoiceVlan = w_.integer(lv, lk.at, "lldp_med voice_vlan");
                            });
          } else if (k.value == "cdp") {
            w_.forEachEntry(v, k.at, what + " cdp", {"platform", "capabilities"}, [&](const Text& ck, const Node& cv) {
              if (ck.value == "capabilities") c.cdpCapabilities = w_.textList(cv, ck.at, "cdp capabilities");
              else c.cdpPlatform = w_.textList(cv, ck.at, "cdp platform");
            });
          } else if (k.value == "sip") {
            w_.forEachEntry(v, k.at, what + " sip", {"user_agent"}, [&](const Text& sk, const Node& sv) {
              c.sipUserAgent = w_.textList(sv, sk.at, "sip user_agent");
            });
          } else if (k.value == "mdns") {
            w_.forEachEntry(v, k.at, what + " mdns", {"services"}, [&](const Text& mk, const Node& mv) {
              c.mdnsServices = w_.textList(mv, mk.at, "mdns services");
            });
          }
        });
  }

  void inventory(const Node& body, const SourceLocation& at) {
    if (body.IsNull()) return;
    w_.forEachEntry(body, at, "'inventory'", {"csv", "devices"}, [&](const Text& k, const Node& v) {
      if (k.value == "csv") out_.inventoryCsv = w_.text(v, k.at, "inventory csv");
      else
        list(v, k.at, "inventory devices", [&](const Node& d, const SourceLocation& da) {
          InventoryEntry e;
          bool hasMac = false;
          w_.forEachEntry(d, da, "an inventory device", {"mac", "asset", "hostname"},
                          [&](const Text& dk, const Node& dv) {
                            auto t = w_.text(dv, dk.at, "inventory " + dk.value);
                            if (!t) return;
                            if (dk.value == "mac") {
                              e.mac = *t;
                              hasMac = true;
                            } else if (dk.value == "asset") e.assetId = t->value;
                            else e.hostname = t->value;
                          });
          if (!d.IsMap()) return;
          if (!hasMac) missing(da, "an inventory device", "mac");
          else out_.inventory.push_back(std::move(e));
        });
    });
  }

  void flow(const Node& body, const SourceLocation& at) {
    FlowDecl f;
    f.at = at;
    w_.forEachEntry(body, at, "a flow", {"name", "from", "to", "except", "proto", "ports", "action", "mode"},
                    [&](const Text& k, const Node& v) {
                      if (k.value == "name") {
                        if (auto t = w_.text(v, k.at, "flow name")) f.name = *t;
                      } else if (k.value == "from") f.from = w_.text(v, k.at, "flow from");
                      else if (k.value == "to") f.to = w_.textList(v, k.at, "flow to");
                      else if (k.value == "except") f.except = w_.textList(v, k.at, "flow except");
                      else if (k.value == "proto") f.protocols = w_.textList(v, k.at, "flow proto");
                      else if (k.value == "ports") f.ports = w_.textList(v, k.at, "flow ports");
                      else if (k.value == "action") f.action = w_.text(v, k.at, "flow action");
                      else if (k.value == "mode") f.mode = w_.text(v, k.at, "flow mode");
                    });
    if (!body.IsMap()) return;
    std::string what = f.name.value.empty() ? std::string("a flow") : "flow '" + f.name.value + "'";
    if (f.name.value.empty()) missing(at, what, "name");
    if (!f.from) missing(at, what, "from");
    if (f.to.empty()) missing(at, what, "to");
    out_.flows.push_back(std::move(f));
  }

  void invariant(const Node& body, const SourceLocation& at) {
    InvariantDecl inv;
    inv.at = at;
    w_.forEachEntry(body, at, "an invariant", {"name", "never", "only"}, [&](const Text& k, const Node& v) {
      if (k.value == "name") {
        if (auto t = w_.text(v, k.at, "invariant name")) inv.name = *t;
      } else if (inv.kind != InvariantDecl::Kind::kUnknown) {
        w_.diags().error(k.at, "invariant-kind", "an invariant is either 'never' or 'only', not both");
      } else if (k.value == "never") {
        inv.kind = InvariantDecl::Kind::kNever;
        w_.forEachEntry(v, k.at, "invariant never", {"from", "to"}, [&](const Text& nk, const Node& nv) {
          if (nk.value == "from") inv.from = w_.text(nv, nk.at, "invariant from");
          else inv.to = w_.textList(nv, nk.at, "invariant to");
        });
        if (v.IsMap() && (!inv.from || inv.to.empty())) missing(k.at, "invariant 'never'", !inv.from ? "from" : "to");
      } else {
        inv.kind = InvariantDecl::Kind::kOnly;
        w_.forEachEntry(v, k.at, "invariant only", {"zone", "classes"}, [&](const Text& ok, const Node& ov) {
          if (ok.value == "zone") inv.zone = w_.text(ov, ok.at, "invariant zone");
          else inv.classes = w_.textList(ov, ok.at, "invariant classes");
        });
        if (v.IsMap() && (!inv.zone || inv.classes.empty()))
          missing(k.at, "invariant 'only'", !inv.zone ? "zone" : "classes");
      }
    });
    if (!body.IsMap()) return;
    if (inv.name.value.empty()) missing(at, "an invariant", "name");
    if (inv.kind == InvariantDecl::Kind::kUnknown) {
      w_.diags().error(at, "missing-key", "invariant '" + inv.name.value + "' needs 'never' or 'only'");
    }
    out_.invariants.push_back(std::move(inv));
  }

  void sink(const Text& name, const Node& body) {
    SinkDecl s;
    s.name = name;
    std::string what = "sink '" + name.value + "'";
    w_.forEachEntry(body, name.at, what, {"type", "address", "transport", "path", "url", "format", "body"},
                    [&](const Text& k, const Node& v) {
                      if (k.value == "body") {
                        s.bodyKeyAt = k.at;
                        s.body = bodyNode(v, k.at);
                        return;
                      }
                      auto t = w_.text(v, k.at, what + " " + k.value);
                      if (k.value == "type") s.type = t;
                      else if (k.value == "address") s.address = t;
                      else if (k.value == "transport") s.transport = t;
                      else if (k.value == "path") s.path = t;
                      else if (k.value == "format") s.format = t;
                      else s.url = t;
                    });
    if (body.IsMap() && !s.type) missing(name.at, what, "type");
    out_.sinks.push_back(std::move(s));
  }

  // Any YAML value: what it means as JSON is decided by the compiler.
  BodyDecl bodyNode(const Node& v, const SourceLocation& where) {
    BodyDecl b;
    b.at = w_.at(v, where);
    if (v.IsMap() && v.size() == 1 && v.begin()->first.IsMap()) {
      // title: {{event}} is YAML for a mapping inside a mapping, not text.
      w_.visit(v, where);
      w_.diags().error(b.at, "type", "an unquoted {{...}} is a YAML mapping; quote the text, as in \"{{event}}\"");
      return b;
    }
    if (v.IsMap()) {
      b.kind = BodyDecl::Kind::kMap;
      w_.forEachEntry(v, where, "a webhook body mapping", {}, [&](const Text& k, const Node& item) {
        b.keys.push_back(k);
        b.items.push_back(bodyNode(item, k.at));
      });
    } else if (v.IsSequence()) {
      b.kind = BodyDecl::Kind::kList;
      w_.forEachItem(v, where, "a webhook body list",
                     [&](const Node& item, const SourceLocation& itemAt) { b.items.push_back(bodyNode(item, itemAt)); });
    } else if (v.IsScalar()) {
      if (!w_.visit(v, where)) return b;
      b.kind = BodyDecl::Kind::kScalar;
      b.scalar = v.Scalar();
      b.plain = v.Tag() == "?";
    } else {
      w_.visit(v, where);  // null: counted like any node
    }
    return b;
  }

  void alert(const Node& body, const SourceLocation& at) {
    AlertDecl a;
    a.at = at;
    w_.forEachEntry(body, at, "an alert", {"event", "severity", "sinks"}, [&](const Text& k, const Node& v) {
      if (k.value == "event") a.event = w_.text(v, k.at, "alert event");
      else if (k.value == "severity") a.severity = w_.text(v, k.at, "alert severity");
      else a.sinks = w_.textList(v, k.at, "alert sinks");
    });
    if (!body.IsMap()) return;
    if (!a.event) missing(at, "an alert", "event");
    out_.alerts.push_back(std::move(a));
  }

  void maintenance(const Node& body, const SourceLocation& at) {
    MaintenanceDecl m;
    m.at = at;
    w_.forEachEntry(body, at, "a maintenance window", {"name", "days", "from", "to", "timezone", "suppress"},
                    [&](const Text& k, const Node& v) {
                      if (k.value == "name") {
                        if (auto t = w_.text(v, k.at, "maintenance name")) m.name = *t;
                      } else if (k.value == "days") m.days = w_.textList(v, k.at, "maintenance days");
                      else if (k.value == "from") m.from = w_.text(v, k.at, "maintenance from");
                      else if (k.value == "to") m.to = w_.text(v, k.at, "maintenance to");
                      else if (k.value == "timezone") m.timezone = w_.text(v, k.at, "maintenance timezone");
                      else m.suppress = w_.textList(v, k.at, "maintenance suppress");
                    });
    if (!body.IsMap()) return;
    std::string what = "maintenance window '" + m.name.value + "'";
    if (m.name.value.empty()) missing(at, "a maintenance window", "name");
    if (m.days.empty()) missing(at, what, "days");
    if (!m.from) missing(at, what, "from");
    if (!m.to) missing(at, what, "to");
    out_.maintenance.push_back(std::move(m));
  }

  void management(const Node& body, const SourceLocation& at) {
    if (body.IsNull()) return;
    w_.forEachEntry(body, at, "'management'", {"roles"}, [&](const Text& k, const Node& v) {
      namedMap(v, k.at, "'management roles'", [&](const Text& role, const Node& subjects) {
        out_.managementRoles.push_back({role, w_.textList(subjects, role.at, "management role '" + role.value + "'")});
      });
    });
  }

  void pin(const Node& body, const SourceLocation& at) {
    PinDecl p;
    p.at = at;
    w_.forEachEntry(body, at, "a pin", {"mac", "class", "zone", "reason"}, [&](const Text& k, const Node& v) {
      auto t = w_.text(v, k.at, "pin " + k.value);
      if (k.value == "mac") p.mac = t;
      else if (k.value == "class") p.deviceClass = t;
      else if (k.value == "zone") p.zone = t;
      else p.reason = t;
    });
    if (!body.IsMap()) return;
    if (!p.mac) missing(at, "a pin", "mac");
    if (!p.deviceClass && !p.zone) missing(at, "a pin", "class' or 'zone");
    if (!p.reason) missing(at, "a pin", "reason");
    out_.pins.push_back(std::move(p));
  }

  void test(const Node& body, const SourceLocation& at) {
    TestDecl t;
    t.at = at;
    w_.forEachEntry(body, at, "a test", {"name", "device", "flow", "expect"}, [&](const Text& k, const Node& v) {
      if (k.value == "name") {
        if (auto n = w_.text(v, k.at, "test name")) t.name = *n;
      } else if (k.value == "device") {
        t.isDevice = true;
        testDevice(t, v, k.at);
      } else if (k.value == "flow") {
        t.isFlow = true;
        testFlow(t, v, k.at);
      } else if (v.IsScalar()) t.expectAction = w_.text(v, k.at, "test expect");
      else
        w_.forEachEntry(v, k.at, "test expect", {"zone", "class"}, [&](const Text& ek, const Node& ev) {
          if (ek.value == "zone") t.expectZone = w_.text(ev, ek.at, "expected zone");
          else t.expectClass = w_.text(ev, ek.at, "expected class");
        });
    });
    if (!body.IsMap()) return;
    std::string what = "test '" + t.name.value + "'";
    if (t.name.value.empty()) missing(at, "a test", "name");
    if (t.isDevice == t.isFlow) w_.diags().error(at, "test-kind", what + " needs exactly one of 'device' or 'flow'");
    else if (t.isDevice && !t.expectZone && !t.expectClass) missing(at, what, "expect: {zone, class}");
    else if (t.isFlow && !t.expectAction) missing(at, what, "expect: allow|deny");
    out_.tests.push_back(std::move(t));
  }

  void testDevice(TestDecl& t, const Node& v, const SourceLocation& at) {
    w_.forEachEntry(v, at, "test device", {"mac", "dhcp", "dhcpv6", "lldp_med", "cdp", "sip", "mdns"},
                    [&](const Text& k, const Node& d) {
                      if (k.value == "mac") t.mac = w_.text(d, k.at, "test mac");
                      else if (k.value == "dhcpv6")
                        w_.forEachEntry(d, k.at, "test device dhcpv6", {"vendor_class", "option_request"},
                                        [&](const Text& dk, const Node& dv) {
                                          if (dk.value == "vendor_class")
                                            t.dhcpv6VendorClass = w_.text(dv, dk.at, "dhcpv6 vendor_class");
                                          else t.dhcpv6OptionRequest = w_.integerList(dv, dk.at, "dhcpv6 option_request");
                                        });
                      else if (k.value == "dhcp")
                        w_.forEachEntry(d, k.at, "test device dhcp", {"vendor_class", "hostname", "parameter_list"},
                                        [&](const Text& dk, const Node& dv) {
                                          if (dk.value == "vendor_class")
                                            t.dhcpVendorClass = w_.text(dv, dk.at, "dhcp vendor_class");
                                          else if (dk.value == "hostname")
                                            t.dhcpHostname = w_.text(dv, dk.at, "dhcp hostname");
                                          else t.dhcpParameterList = w_.integerList(dv, dk.at, "dhcp parameter_list");
                                        });
                      else if (k.value == "lldp_med")
                        w_.forEachEntry(d, k.at, "test device lldp_med", {"capabilities", "voice_vlan"},
                                        [&](const Text& lk, const Node& lv) {
                                          if (lk.value == "capabilities")
                                            t.lldpMedCapabilities = w_.textList(lv, lk.at, "lldp_med capabilities");
                                          else t.lldpMedVoiceVlan = w_.integer(lv, lk.at, "lldp_med voice_vlan");
                                        });
                      else if (k.value == "cdp")
                        w_.forEachEntry(d, k.at, "test device cdp", {"platform", "capabilities"},
                                        [&](const Text& ck, const Node& cv) {
                                          if (ck.value == "capabilities")
                                            t.cdpCapabilities = w_.textList(cv, ck.at, "cdp capabilities");
                                          else t.cdpPlatform = w_.text(cv, ck.at, "cdp platform");
                                        });
                      else if (k.value == "sip")
                        w_.forEachEntry(d, k.at, "test device sip", {"user_agent"}, [&](const Text& sk, const Node& sv) {
                          t.sipUserAgent = w_.text(sv, sk.at, "sip user_agent");
                        });
                      else
                        w_.forEachEntry(d, k.at, "test device mdns", {"services"}, [&](const Text& mk, const Node& mv) {
                          t.mdnsServices = w_.textList(mv, mk.at, "mdns services");
                        });
                    });
  }

  void testFlow(TestDecl& t, const Node& v, const SourceLocation& at) {
    w_.forEachEntry(v, at, "test flow", {"from", "to", "proto", "port"}, [&](const Text& k, const Node& f) {
      if (k.value == "from") t.from = w_.text(f, k.at, "test flow from");
      else if (k.value == "to") t.to = w_.text(f, k.at, "test flow to");
      else if (k.value == "proto") t.protocol = w_.text(f, k.at, "test flow proto");
      else t.port = w_.integer(f, k.at, "test flow port");
    });
  }

  YamlWalker& w_;
  PolicyFile& out_;
};

}  // namespace

std::optional<PolicyFile> parsePolicyFile(const std::string& path, const std::string& display, Diagnostics& diags) {
  auto text = readTextFile(path, display, diags);
  if (!text) return std::nullopt;
  auto root = parseYaml(*text, display, diags);
  if (!root) return std::nullopt;
  PolicyFile file;
  file.path = path;
  file.display = display;
  YamlWalker walker(diags, display, *text);
  if (!PolicyParser(walker, file).parseTop(*root)) return std::nullopt;
  return file;
}

}  // namespace portvakt::policy
