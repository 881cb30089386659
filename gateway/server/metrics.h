// The gateway's metrics: counters the main loop keeps (deliveries,
// acknowledgements, refusals, connected peers) and their Prometheus text
// rendering together with what the store and the committer report. The
// metric names and labels are listed in docs/operations.md.
//
// Threads: the counters take their own mutex (the main loop counts, the
// admin HTTP thread snapshots); RenderMetrics is pure.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/core/group_commit.h"
#include "gateway/core/store.h"

namespace regline::server {

struct MetricCounts {
  std::map<std::string, uint64_t> deliveries;    // by recipient: first transmissions and re-sends
  std::map<std::string, uint64_t> redeliveries;  // by recipient: re-sends (attempt > 1)
  std::map<std::pair<std::string, std::string>, uint64_t> acknowledgements;  // by (recipient, stage)
  std::map<std::string, uint64_t> refusals;                                  // by reason (the wire ErrorCode's name)
  int64_t connected_peers = 0;
};

// Whether an identity has a session now, and since when (the web
// console's connection column).
struct PeerConnection {
  bool connected = false;
  int64_t since_ms = 0;  // when the session started or ended; 0: not since the gateway started
};

class GatewayMetrics {
 public:
  void Delivered(const std::string& recipient, uint32_t attempt);
  void Acknowledged(const std::string& recipient, const std::string& stage);
  void Refused(const std::string& reason);
  void SetConnectedPeers(int64_t n);
  MetricCounts Snapshot() const;
  // Session starts and ends, by identity (the main loop).
  void SessionStarted(const std::string& identity, int64_t now_ms);
  void SessionEnded(const std::string& identity, int64_t now_ms);
  // The registered platforms (the main loop, at start and on registry reloads).
  void SetPlatforms(std::vector<std::string> platforms);
  // Every identity that had a session since the gateway started.
  std::map<std::string, PeerConnection> Connections() const;
  std::vector<std::string> Platforms() const;

 private:
  mutable std::mutex mu_;  // guards everything below
  MetricCounts counts_;
  std::map<std::string, PeerConnection> connections_;
  std::vector<std::string> platforms_;
};

// What the store reports at scrape time.
struct StoreGauges {
  std::vector<QueueDepth> depths;
  int64_t overdue = 0;  // (directive, recipient, stage) items past their deadline
};

// The Prometheus text exposition (version 0.0.4) of everything above, at
// `now_ms` (for ages).
// `platforms` and `connections` as GatewayMetrics reports them: every
// registered platform and every identity that had a session get a
// regline_peer_connected sample.
std::string RenderMetrics(const MetricCounts& counts, const StoreGauges& store, const GroupCommitStats& commits,
                          const std::vector<std::string>& platforms,
                          const std::map<std::string, PeerConnection>& connections, int64_t now_ms);

}  // namespace regline::server
