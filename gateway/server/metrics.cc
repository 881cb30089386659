#include "gateway/server/metrics.h"

#include <cstdio>

namespace regline::server {

namespace {

// A label value with \, " and newline escaped as the format requires.
std::string Escape(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

class Writer {
 public:
  void Head(const char* name, const char* type, const char* help) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::string& labels, const std::string& value) {
    out_ += name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += " " + value + "\n";
  }
  void HistogramLines(const char* name, const Histogram& h) {
    for (size_t i = 0; i < h.bounds.size(); ++i) {
      Sample(std::string(name) + "_bucket", "le=\"" + Number(h.bounds[i]) + "\"", std::to_string(h.CumulativeAt(i)));
    }
    Sample(std::string(name) + "_bucket", "le=\"+Inf\"", std::to_string(h.count));
    Sample(std::string(name) + "_sum", "", Number(h.sum));
    Sample(std::string(name) + "_count", "", std::to_string(h.count));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Label(const char* name, const std::string& value) {
  return std::string(name) + "=\"" + Escape(value) + "\"";
}

}  // namespace

void GatewayMetrics::Delivered(const std::string& recipient, uint32_t attempt) {
  std::lock_guard lock(mu_);
  ++counts_.deliveries[recipient];
  if (attempt > 1) ++counts_.redeliveries[recipient];
}

void GatewayMetrics::Acknowledged(const std::string& recipient, const std::string& stage) {
  std::lock_guard lock(mu_);
  ++counts_.acknowledgements[{recipient, stage}];
}

void GatewayMetrics::Refused(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++counts_.refusals[reason];
}

void GatewayMetrics::SetConnectedPeers(int64_t n) {
  std::lock_guard lock(mu_);
  counts_.connected_peers = n;
}

MetricCounts GatewayMetrics::Snapshot() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void GatewayMetrics::SessionStarted(const std::string& identity, int64_t now_ms) {
  std::lock_guard lock(mu_);
  PeerConnection& c = connections_[identity];
  if (!c.connected) c = {true, now_ms};
}

void GatewayMetrics::SessionEnded(const std::string& identity, int64_t now_ms) {
  std::lock_guard lock(mu_);
  connections_[identity] = {false, now_ms};
}

void GatewayMetrics::SetPlatforms(std::vector<std::string> platforms) {
  std::lock_guard lock(mu_);
  platforms_ = std::move(platforms);
}

std::map<std::string, PeerConnection> GatewayMetrics::Connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

std::vector<std::string> GatewayMetrics::Platforms() const {
  std::lock_guard lock(mu_);
  return platforms_;
}

std::string RenderMetrics(const MetricCounts& counts, const StoreGauges& store, const GroupCommitStats& commits,
                          const std::vector<std::string>& platforms,
                          const std::map<std::string, PeerConnection>& connections, int64_t now_ms) {
  Writer w;
  w.Head("regline_queue_depth", "gauge", "Deliveries per recipient by state (queued, in_flight, dead_lettered).");
  for (const QueueDepth& d : store.depths) {
    const std::string r = Label("recipient", d.recipient);
    w.Sample("regline_queue_depth", r + "," + Label("state", "queued"), std::to_string(d.queued));
    w.Sample("regline_queue_depth", r + "," + Label("state", "in_flight"), std::to_string(d.in_flight));
    w.Sample("regline_queue_depth", r + "," + Label("state", "dead_lettered"), std::to_string(d.dead_lettered));
  }
  w.Head("regline_oldest_queued_age_seconds", "gauge",
         "Age of the oldest delivery still queued for the recipient; 0 when none is.");
  for (const QueueDepth& d : store.depths) {
    const double age = d.oldest_queued_ms == 0 ? 0 : static_cast<double>(now_ms - d.oldest_queued_ms) / 1000.0;
    w.Sample("regline_oldest_queued_age_seconds", Label("recipient", d.recipient), Number(age < 0 ? 0 : age));
  }
  w.Head("regline_oldest_unacknowledged_age_seconds", "gauge",
         "Age of the oldest delivery the recipient has not acknowledged (queued or in flight); 0 when none.");
  for (const QueueDepth& d : store.depths) {
    const double age =
        d.oldest_unacknowledged_ms == 0 ? 0 : static_cast<double>(now_ms - d.oldest_unacknowledged_ms) / 1000.0;
    w.Sample("regline_oldest_unacknowledged_age_seconds", Label("recipient", d.recipient), Number(age < 0 ? 0 : age));
  }
  w.Head("regline_deliveries_total", "counter", "DELIVER frames sent, re-sends included, since the gateway started.");
  for (const auto& [r, n] : counts.deliveries)
    w.Sample("regline_deliveries_total", Label("recipient", r), std::to_string(n));
  w.Head("regline_redeliveries_total", "counter", "DELIVER frames that were re-sends (attempt > 1).");
  for (const auto& [r, n] : counts.redeliveries) {
    w.Sample("regline_redeliveries_total", Label("recipient", r), std::to_string(n));
  }
  w.Head("regline_acknowledgements_total", "counter", "Acknowledgements recorded, by recipient and stage.");
  for (const auto& [key, n] : counts.acknowledgements) {
    w.Sample("regline_acknowledgements_total", Label("recipient", key.first) + "," + Label("stage", key.second),
             std::to_string(n));
  }
  w.Head("regline_dead_letters", "gauge", "Deliveries in the dead-letter queue, all recipients.");
  int64_t dead = 0;
  for (const QueueDepth& d : store.depths) dead += d.dead_lettered;
  w.Sample("regline_dead_letters", "", std::to_string(dead));
  w.Head("regline_overdue_items", "gauge", "Directive stages past their deadline for a recipient.");
  w.Sample("regline_overdue_items", "", std::to_string(store.overdue));
  w.Head("regline_connected_peers", "gauge", "Sessions open now.");
  w.Sample("regline_connected_peers", "", std::to_string(counts.connected_peers));
  w.Head("regline_peer_connected", "gauge",
         "1 while the identity has a session, else 0; every registered platform and every identity seen.");
  std::map<std::string, const PeerConnection*> peers;
  for (const std::string& p : platforms) peers.emplace(p, nullptr);
  for (const auto& [identity, c] : connections) peers[identity] = &c;
  for (const auto& [identity, c] : peers) {
    w.Sample("regline_peer_connected", Label("identity", identity), c != nullptr && c->connected ? "1" : "0");
  }
  w.Head("regline_peer_state_since_seconds", "gauge",
         "When the identity's session last started or ended (Unix time); identities with no session since the "
         "gateway started are left out.");
  for (const auto& [identity, c] : connections) {
    if (c.since_ms == 0) continue;
    w.Sample("regline_peer_state_since_seconds", Label("identity", identity),
             Number(static_cast<double>(c.since_ms) / 1000.0));
  }
  w.Head("regline_refusals_total", "counter", "ERROR frames sent, by reason (the wire ErrorCode).");
  for (const auto& [reason, n] : counts.refusals) {
    w.Sample("regline_refusals_total", Label("reason", reason), std::to_string(n));
  }
  w.Head("regline_commit_batch_items", "histogram", "Submissions and tasks per store transaction.");
  w.HistogramLines("regline_commit_batch_items", commits.batch_items);
  w.Head("regline_commit_duration_seconds", "histogram",
         "Store transactions, BEGIN until durable (the log's fsync included).");
  w.HistogramLines("regline_commit_duration_seconds", commits.commit_seconds);
  w.Head("regline_log_syncs_total", "counter",
         "fdatasyncs of the store's log (by the sync thread, or by the writer when nothing else was queued), each "
         "covering every transaction committed before it.");
  w.Sample("regline_log_syncs_total", "", std::to_string(commits.syncs));
  w.Head("regline_store_fenced", "gauge",
         "1 once a sync of the store's log has failed: the gateway takes no more changes until it is restarted.");
  w.Sample("regline_store_fenced", "", commits.fenced ? "1" : "0");
  return w.Take();
}

}  // namespace regline::server
