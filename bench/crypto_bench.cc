// crypto_bench: signatures and verifications per second, one thread, for
// each algorithm of gateway/crypto/signing.h over a 1 KiB payload (the size
// of a typical directive envelope).
//
// Each measurement runs for about --seconds (default 2) after a short
// warm-up, over the same payload and key; every result is checked, so a
// broken build cannot post a fast figure. Prints one line per algorithm and
// operation: ops/s and µs per op. Not a test: figures depend on the machine.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "gateway/crypto/signing.h"

namespace regline::crypto {
namespace {

using Clock = std::chrono::steady_clock;

struct Rate {
  double per_second = 0;
  double micros_per_op = 0;
};

// Calls `op` in batches until `seconds` have passed; false from `op` aborts.
Rate Measure(double seconds, const std::function<bool()>& op) {
  for (int i = 0; i < 20; ++i) {
    if (!op()) std::exit(1);
  }
  int64_t ops = 0;
  Clock::time_point start = Clock::now();
  std::chrono::duration<double> elapsed{};
  do {
    for (int i = 0; i < 50; ++i) {
      if (!op()) std::exit(1);
    }
    ops += 50;
    elapsed = Clock::now() - start;
  } while (elapsed.count() < seconds);
  return {ops / elapsed.count(), elapsed.count() * 1e6 / static_cast<double>(ops)};
}

int Run(double seconds) {
  std::string payload(1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::printf("%-8s  %-6s  %10s  %10s   (1 KiB payload, 1 thread, ~%.0fs each)\n", "ALG", "OP", "OPS/S", "US/OP",
              seconds);
  for (SignatureAlgorithm algorithm : {SignatureAlgorithm::kEd25519, SignatureAlgorithm::kSm2Sm3}) {
    Result<PrivateKey> key = PrivateKey::Generate(algorithm);
    if (!key.ok()) {
      std::fprintf(stderr, "crypto_bench: %s\n", key.status().ToString().c_str());
      return 1;
    }
    Result<std::string> signature = key->Sign(payload);
    if (!signature.ok()) return 1;
    const PublicKey& public_key = key->public_key();
    Rate sign = Measure(seconds, [&] { return key->Sign(payload).ok(); });
    Rate verify = Measure(seconds, [&] { return public_key.Verify(payload, *signature).ok(); });
    std::string name(SignatureAlgorithmName(algorithm));
    std::printf("%-8s  %-6s  %10.0f  %10.1f\n", name.c_str(), "sign", sign.per_second, sign.micros_per_op);
    std::printf("%-8s  %-6s  %10.0f  %10.1f\n", name.c_str(), "verify", verify.per_second, verify.micros_per_op);
  }
  return 0;
}

}  // namespace
}  // namespace regline::crypto

int main(int argc, char** argv) {
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: crypto_bench [--seconds S]\n");
      return 1;
    }
  }
  if (!(seconds > 0)) {
    std::fprintf(stderr, "crypto_bench: --seconds must be positive\n");
    return 1;
  }
  return regline::crypto::Run(seconds);
}
