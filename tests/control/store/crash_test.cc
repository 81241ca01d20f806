// kill -9 at a random moment: a child process writes devices, alerts with
// their deliveries, delivery acknowledgements and policy versions as fast as
// it can and reports each commit to the parent through a pipe *after* the
// store returned ok. The parent SIGKILLs it at a random time, reopens the
// file and checks that SQLite's integrity_check passes and that every row the
// child reported as committed is there. Repeated over one file, so recovery
// from a WAL left by a killed writer is exercised each round.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "control/store/store.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::store {
namespace {

using portvakt::testing::TempDir;

// The child: never returns into gtest.
[[noreturn]] void writeUntilKilled(const std::string& path, int round, int fd) {
  auto opened = Store::open(path);
  if (!opened) _exit(3);
  Store& store = *opened.value();
  for (int i = 0;; ++i) {
    char tag = 0;
    std::string key = std::to_string(round) + "-" + std::to_string(i);
    switch (i % 4) {
      case 0: {
        char mac[32];
        std::snprintf(mac, sizeof mac, "02:%02x:00:00:%02x:%02x", round & 0xff, (i >> 8) & 0xff, i & 0xff);
        if (!store.upsertDevice({mac, "eth1", "eklient", "region", 1.0, R"({"k":")" + key + "\"}", i, i})) _exit(4);
        key = mac;
        tag = 'D';
        break;
      }
      case 1: {
        AlertRecord a;
        a.id = "A" + key;
        a.timeMs = i;
        a.event = "link_down";
        a.severity = "warning";
        if (!store.spoolAlert(a, {"syslog", "desk"}, store::atUnixMs(0))) _exit(5);
        key = a.id;
        tag = 'A';
        break;
      }
      case 2: {
        // Acknowledge the alert spooled one step before.
        std::string prev = "A" + std::to_string(round) + "-" + std::to_string(i - 1);
        if (!store.markDelivered(prev, "desk", store::atUnixMs(i))) _exit(6);
        key = prev;
        tag = 'K';
        break;
      }
      case 3: {
        PolicyRecord p;
        p.hash = "sha256:" + key;
        p.policyText = std::string(2000, 'p');
        auto v = store.appendPolicy(p);
        if (!v) _exit(7);
        key = p.hash;
        tag = 'P';
        break;
      }
    }
    std::string line = std::string(1, tag) + key + "\n";
    // A full pipe blocks the child, which is fine: it is killed anyway.
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(8);
  }
}

// Requirements: R9
TEST(StoreCrashTest, KillNineUnderLoadLosesNoCommittedRow) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.file("crash.db");
  std::mt19937 rng(std::random_device{}());
  std::set<std::string> devices, alerts, delivered, policies;
  int rounds = 6;
  for (int round = 0; round < rounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      writeUntilKilled(path, round, fds[1]);
    }
    close(fds[1]);
    // Read reports while the child runs, then kill it at a random moment.
    auto killAt = std::chrono::steady_clock::now() + std::chrono::milliseconds(50 + rng() % 250);
    std::string buffer;
    char chunk[4096];
    bool killed = false;
    for (;;) {
      if (!killed && std::chrono::steady_clock::now() >= killAt) {
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        killed = true;
      }
      ssize_t n = read(fds[0], chunk, sizeof chunk);  // blocks until data or EOF
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer stopped on its own (exit " << WEXITSTATUS(status) << ") before it was killed";
    // Only complete lines are commits the child reported.
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buffer.substr(start, nl - start);
      std::string key = line.substr(1);
      switch (line[0]) {
        case 'D': devices.insert(key); break;
        case 'A': alerts.insert(key); break;
        case 'K': delivered.insert(key); break;
        case 'P': policies.insert(key); break;
      }
    }

    auto reopened = Store::open(path);
    ASSERT_TRUE(reopened) << "round " << round << ": " << reopened.error().message;
    Store& store = *reopened.value();
    ASSERT_TRUE(store.integrityCheck()) << store.integrityCheck().error().message;
    auto devs = store.devices();
    ASSERT_TRUE(devs);
    std::set<std::string> haveDevices;
    for (const auto& d : *devs) haveDevices.insert(d.mac);
    for (const auto& mac : devices) EXPECT_TRUE(haveDevices.count(mac)) << "lost device " << mac;
    for (const auto& id : alerts) {
      auto d = store.deliveries(id);
      ASSERT_TRUE(d);
      EXPECT_EQ(d->size(), 2u) << "lost alert or its deliveries " << id;
    }
    for (const auto& id : delivered) {
      auto d = store.deliveries(id);
      ASSERT_TRUE(d && d->size() == 2);
      EXPECT_EQ((*d)[0].state, DeliveryState::kDelivered) << "lost acknowledgement of " << id;
      EXPECT_EQ((*d)[1].state, DeliveryState::kPending) << id;
    }
    auto history = store.policyHistory();
    ASSERT_TRUE(history);
    std::set<std::string> haveHashes;
    for (size_t i = 0; i < history->size(); ++i) {
      EXPECT_EQ((*history)[i].version, static_cast<int>(i) + 1);  // no gaps
      haveHashes.insert((*history)[i].hash);
    }
    for (const auto& h : policies) EXPECT_TRUE(haveHashes.count(h)) << "lost policy " << h;
  }
  // The test must have actually written something each round.
  EXPECT_GT(devices.size(), static_cast<size_t>(rounds));
  EXPECT_GT(policies.size(), static_cast<size_t>(rounds));
  std::printf("crash test: %zu devices, %zu alerts, %zu acks, %zu policies committed across %d kills\n", devices.size(),
              alerts.size(), delivered.size(), policies.size(), rounds);
}

}  // namespace
}  // namespace portvakt::store
