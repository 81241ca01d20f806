// `portvakt policy graph`: a compiled policy as Graphviz DOT (zones with their
// VLAN, one node per port entry, one green edge per allowed flow and target
// with its services, red "never" edges for invariants; deny rules are not
// drawn), and its SVG rendered by Debian's `dot`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <tuple>

#include "control/policy_views/policy_graph.h"
#include "tests/support/ci.h"

namespace portvakt::control {
namespace {

using tables::Protocol;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

tables::FlowRule rule(std::string name, tables::ZoneId from, Protocol protocol, uint16_t port,
                      tables::Action action = tables::Action::kAllow) {
  tables::FlowRule r;
  r.name = std::move(name);
  r.from = from;
  r.toPrefixes = {*tables::Prefix::parse("10.0.0.0/8")};
  r.protocol = protocol;
  r.ports = {port, port};
  r.action = action;
  return r;
}

tables::CompiledPolicy clinic() {
  tables::CompiledPolicy p;
  p.name = "clinic \"north\"";
  for (auto [name, vlan, quarantine] :
       {std::tuple{"region", 10, false}, std::tuple{"voice", 20, false}, std::tuple{"quarantine", 999, true}}) {
    tables::Zone z;
    z.name = name;
    z.vlan = static_cast<uint16_t>(vlan);
    z.quarantine = quarantine;
    p.zones.push_back(z);
  }
  for (const char* interface : {"eth2", "eth3", "eth4"}) {  // one port entry, eth[2-4]
    tables::Port jack;
    jack.interface = interface;
    jack.group = "wall-jacks";
    jack.zones = {0, 1, 2};
    jack.defaultZone = 2;
    p.ports.push_back(jack);
  }
  p.flows = {rule("rdnet", 0, Protocol::kTcp, 443), rule("rdnet", 0, Protocol::kTcp, 80),
             rule("no-telnet", 0, Protocol::kTcp, 23, tables::Action::kDeny), rule("sip", 1, Protocol::kUdp, 5060)};
  tables::Invariant never;
  never.name = "voice-never-region";
  never.from = 1;
  never.toZone = 0;
  p.invariants = {never};
  p.seal();
  return p;
}

TEST(PolicyGraph, ZonesPortsFlowsAndInvariantsAreDrawn) {
  const std::string dot = policyToDot(clinic());
  EXPECT_EQ(dot.rfind("digraph \"clinic \\\"north\\\"\" {", 0), 0u) << "the name is quoted and escaped:\n" << dot;
  EXPECT_EQ(dot.back(), '\n');
  EXPECT_NE(dot.find("zone_0 [shape=ellipse, style=filled, fillcolor=\"#d9ead3\", label=\"region\\nVLAN 10\"]"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("fillcolor=\"#f4cccc\", label=\"quarantine\\nVLAN 999\""), std::string::npos)
      << "a quarantine zone is red:\n"
      << dot;
  // The three interfaces of one entry are one node, joined to every zone it carries.
  EXPECT_EQ(count(dot, "[shape=box"), 1u) << dot;
  EXPECT_NE(dot.find("wall-jacks\\neth2 .. eth4 (3)\\naccess"), std::string::npos) << dot;
  EXPECT_EQ(count(dot, "port_0 -> zone_"), 3u) << dot;
  EXPECT_NE(dot.find("port_0 -> zone_2 [dir=none, style=dashed, color=gray, label=\"default\"]"), std::string::npos)
      << dot;
  // Both rules of "rdnet" are one edge listing both services; the deny rule is not drawn.
  EXPECT_NE(dot.find("zone_0 -> dest_0 [color=\"#38761d\", label=\"rdnet\\ntcp/443, tcp/80\"]"), std::string::npos)
      << dot;
  EXPECT_EQ(dot.find("no-telnet"), std::string::npos) << dot;
  EXPECT_EQ(count(dot, "dest_0 [shape=note, label=\"10.0.0.0/8\"]"), 1u) << "one node per destination:\n" << dot;
  EXPECT_NE(dot.find("zone_1 -> dest_0 [color=\"#38761d\", label=\"sip\\nudp/5060\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("zone_1 -> zone_0 [color=red, style=dashed, fontcolor=red, label=\"never (voice-never-region)\"]"),
            std::string::npos)
      << dot;
}

TEST(PolicyGraph, RendersSvgWithGraphviz) {
  PORTVAKT_REQUIRE(std::system("command -v dot >/dev/null 2>&1") == 0,
                   "Graphviz 'dot' is not installed (Debian package graphviz)");
  const auto svg = renderSvg(policyToDot(clinic()));
  ASSERT_TRUE(svg) << svg.error().message;
  EXPECT_NE(svg->find("<svg"), std::string::npos) << svg->substr(0, 200);
  EXPECT_NE(svg->find("never (voice&#45;never&#45;region)"), std::string::npos) << "the edges' labels are in the SVG";

  const auto broken = renderSvg("digraph { this is not dot");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message, "dot failed to render the graph");
}

// PATH for one test, restored at its end.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path) : saved_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() { setenv("PATH", saved_.c_str(), 1); }

 private:
  std::string saved_;
};

// A `dot` that exits without reading its input, fed more than a pipe holds:
// the write fails with EPIPE, which must come back as an error, not as a
// SIGPIPE that ends the process (the CLI does not ignore SIGPIPE; gtest does
// not either, so without the fix this test binary dies here). A `dot` that
// is not on the PATH at all is named as missing.
TEST(PolicyGraph, ADotThatExitsEarlyOrIsMissingIsAnErrorNotASignal) {
  char dirTemplate[] = "/tmp/pv-dot-XXXXXX";
  const char* dir = mkdtemp(dirTemplate);
  ASSERT_NE(dir, nullptr);
  const std::string fake = std::string(dir) + "/dot";
  std::ofstream(fake) << "#!/bin/sh\nexit 3\n";
  ASSERT_EQ(chmod(fake.c_str(), 0755), 0);
  const std::string big(1 << 20, 'x');  // far more than a 64 KiB pipe buffer
  {
    ScopedPath path(dir);
    const auto failed = renderSvg(big);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message, "dot failed to render the graph");
    sigset_t pending;
    sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGPIPE)) << "the write's SIGPIPE was taken back";
  }
  std::remove(fake.c_str());
  {
    ScopedPath path(dir);  // now empty
    const auto missing = renderSvg("digraph {}");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "Graphviz 'dot' is not installed (apt-get install graphviz)");
  }
  rmdir(dir);
}

}  // namespace
}  // namespace portvakt::control
