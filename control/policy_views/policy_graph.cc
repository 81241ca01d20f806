#include "control/policy_views/policy_graph.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace portvakt::control {

using namespace tables;

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string prefixList(const std::vector<Prefix>& prefixes) {
  std::string out;
  for (const Prefix& p : prefixes) out += (out.empty() ? "" : "\\n") + p.toString();
  return out;
}

// What a rule admits, for an edge label: "tcp/443", "udp/5060-5061", "any".
std::string ruleService(const FlowRule& r) {
  if (r.protocol == Protocol::kAny) return "any";
  std::string service = toString(r.protocol);
  if (!r.ports.isAny()) service += "/" + r.ports.toString();
  return service;
}

}  // namespace

std::string policyToDot(const CompiledPolicy& policy) {
  std::ostringstream o;
  o << "digraph \"" << escape(policy.name) << "\" {\n"
    << "  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n"
    << "  label=\"" << escape(policy.name) << " (" << toString(policy.mode) << ", " << policy.contentHash.substr(0, 19)
    << ")\";\n  labelloc=t;\n";
  for (size_t i = 0; i < policy.zones.size(); ++i) {
    const Zone& z = policy.zones[i];
    o << "  zone_" << i << " [shape=ellipse, style=filled, fillcolor=\"" << (z.quarantine ? "#f4cccc" : "#d9ead3")
      << "\", label=\"" << escape(z.name) << "\\nVLAN " << z.vlan << (z.isolated ? "\\nisolated" : "")
      << (z.prefixes.empty() ? "" : "\\n" + prefixList(z.prefixes)) << "\"];\n";
  }
  // One node per port entry: listing every interface of eth[2-47] would bury the picture.
  std::map<std::string, std::vector<const Port*>> groups;
  for (const Port& p : policy.ports) groups[p.group].push_back(&p);
  int portNode = 0;
  for (const auto& [group, ports] : groups) {
    const Port& first = *ports.front();
    std::string names = ports.size() == 1 ? first.interface
                                          : first.interface + " .. " + ports.back()->interface + " (" + std::to_string(ports.size()) + ")";
    o << "  port_" << portNode << " [shape=box, style=rounded, label=\"" << escape(group) << "\\n"
      << escape(names) << "\\n"
      << toString(first.role) << (first.mode == Mode::kMonitor ? ", monitor mode" : "") << "\"];\n";
    for (ZoneId z : first.zones) {
      o << "  port_" << portNode << " -> zone_" << z << " [dir=none, style=dashed, color=gray"
        << (first.role == PortRole::kAccess && z == first.defaultZone ? ", label=\"default\"" : "") << "];\n";
    }
    ++portNode;
  }
  // One edge per flow and target: "eklient-print tcp/9100, tcp/631, tcp/443".
  std::map<std::string, int> prefixNodes;
  std::vector<std::pair<std::string, std::string>> edges;  // (from -> target, label)
  for (const FlowRule& r : policy.flows) {
    if (r.action != Action::kAllow) continue;
    std::string target;
    if (r.toZone != kNoZone) {
      target = "zone_" + std::to_string(r.toZone);
    } else {
      std::string key =
          prefixList(r.toPrefixes) + (r.exceptPrefixes.empty() ? "" : "\\nexcept " + prefixList(r.exceptPrefixes));
      auto [it, inserted] = prefixNodes.emplace(key, static_cast<int>(prefixNodes.size()));
      target = "dest_" + std::to_string(it->second);
      if (inserted) o << "  " << target << " [shape=note, label=\"" << key << "\"];\n";
    }
    std::string edge = "zone_" + std::to_string(r.from) + " -> " + target;
    std::string head = escape(r.name) + (r.mode == Mode::kMonitor ? " (monitor)" : "");
    auto same = std::find_if(edges.begin(), edges.end(),
                             [&](const auto& e) { return e.first == edge && e.second.rfind(head + "\\n", 0) == 0; });
    if (same != edges.end()) same->second += ", " + ruleService(r);
    else edges.emplace_back(edge, head + "\\n" + ruleService(r));
  }
  for (const auto& [edge, label] : edges) {
    o << "  " << edge << " [color=\"#38761d\", label=\"" << label << "\"];\n";
  }
  for (const Invariant& inv : policy.invariants) {
    if (inv.kind != Invariant::Kind::kNeverReaches || inv.toZone == kNoZone) continue;
    o << "  zone_" << inv.from << " -> zone_" << inv.toZone << " [color=red, style=dashed, fontcolor=red, label=\"never ("
      << escape(inv.name) << ")\"];\n";
  }
  o << "}\n";
  return o.str();
}

namespace {

// Writes all of `text` to `fd`; false when the reader went away first. The
// caller's thread has SIGPIPE blocked meanwhile: the daemon ignores it, but
// the CLI does not, and a `dot` that exits before reading all of its input
// must be an error message, not the CLI killed by a signal.
bool writeAllNoSigpipe(int fd, const std::string& text) {
  sigset_t pipeOnly, previous;
  sigemptyset(&pipeOnly);
  sigaddset(&pipeOnly, SIGPIPE);
  sigset_t pendingBefore;
  sigpending(&pendingBefore);
  pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous);
  size_t written = 0;
  bool ok = true;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    written += static_cast<size_t>(n);
  }
  // Our write's SIGPIPE is pending on this thread now: take it back, unless
  // one was pending before we began (that one is not ours to swallow).
  sigset_t pendingAfter;
  sigpending(&pendingAfter);
  if (!ok && sigismember(&pendingAfter, SIGPIPE) && !sigismember(&pendingBefore, SIGPIPE)) {
    const struct timespec now = {0, 0};
    (void)sigtimedwait(&pipeOnly, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return ok;
}

}  // namespace

Result<std::string> renderSvg(const std::string& dot) {
  // O_CLOEXEC: in the daemon another thread may start a program meanwhile
  // (hostapd), which must not keep a pipe end open (dot would never see
  // the end of its input, nor we of its output).
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Error{std::string("pipe: ") + std::strerror(errno)};
  if (pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    close(in[0]);
    close(in[1]);
    return Error{std::string("pipe: ") + std::strerror(e)};
  }
  // posix_spawnp, not fork: safe in a threaded process, and it says when
  // `dot` could not be started at all.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  char arg0[] = "dot", arg1[] = "-Tsvg";
  char* argv[] = {arg0, arg1, nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (spawned != 0) {
    close(in[1]);
    close(out[0]);
    return Error{spawned == ENOENT ? "Graphviz 'dot' is not installed (apt-get install graphviz)"
                                   : std::string("cannot start dot: ") + std::strerror(spawned)};
  }
  // dot reads all of its input before it writes, so writing it all before
  // reading cannot deadlock.
  const bool fed = writeAllNoSigpipe(in[1], dot);
  close(in[1]);
  std::string svg;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    svg.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!fed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return Error{"dot failed to render the graph"};
  return svg;
}

}  // namespace portvakt::control
