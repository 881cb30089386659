// regline_schema_doc_check: a `capnp compile` plugin that fails when a
// declaration in the requested schema files has no doc comment.
//
// The schemas are the contract outside clients build against, so every
// struct, enum, constant, field and enumerant must say what it means. Run as
//   capnp compile -I<root> --src-prefix=<root> -o<path-to-this> schemas/*.capnp
// It reads the CodeGeneratorRequest from stdin, prints one line per
// undocumented declaration to stderr, and exits 1 if there was any (0 if
// none). Groups and unions are covered by the fields that hold them.

#include <capnp/schema.capnp.h>
#include <capnp/serialize.h>

#include <cstdio>
#include <map>
#include <string>

namespace {

using capnp::schema::CodeGeneratorRequest;
using capnp::schema::Node;

bool blank(capnp::Text::Reader text) {
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\t') return false;
  }
  return true;
}

// Returns the id of the file that declares `id`, or 0 when unknown.
uint64_t fileOf(const std::map<uint64_t, Node::Reader>& nodes, uint64_t id) {
  for (auto it = nodes.find(id); it != nodes.end(); it = nodes.find(id)) {
    if (it->second.isFile()) return id;
    id = it->second.getScopeId();
  }
  return 0;
}

int check(CodeGeneratorRequest::Reader request) {
  std::map<uint64_t, Node::Reader> nodes;
  for (auto node : request.getNodes()) nodes.emplace(node.getId(), node);
  std::map<uint64_t, Node::SourceInfo::Reader> info;
  for (auto source : request.getSourceInfo()) info.emplace(source.getId(), source);
  std::map<uint64_t, std::string> requested;
  for (auto file : request.getRequestedFiles()) requested.emplace(file.getId(), file.getFilename());

  int missing = 0;
  auto report = [&](const Node::Reader& node, const std::string& what) {
    std::fprintf(stderr, "%s: no doc comment\n", (std::string(node.getDisplayName().cStr()) + what).c_str());
    ++missing;
  };
  for (const auto& [id, node] : nodes) {
    if (node.isFile() || requested.count(fileOf(nodes, id)) == 0) continue;
    auto source = info.find(id);
    if (source == info.end()) {
      report(node, "");
      continue;
    }
    bool isGroup = node.isStruct() && node.getStruct().getIsGroup();
    if (!isGroup && blank(source->second.getDocComment())) report(node, "");
    auto members = source->second.getMembers();
    auto checkMember = [&](unsigned i, capnp::Text::Reader name) {
      if (i >= members.size() || blank(members[i].getDocComment())) {
        report(node, std::string(".") + name.cStr());
      }
    };
    if (node.isStruct()) {
      auto fields = node.getStruct().getFields();
      for (unsigned i = 0; i < fields.size(); ++i) checkMember(i, fields[i].getName());
    } else if (node.isEnum()) {
      auto enumerants = node.getEnum().getEnumerants();
      for (unsigned i = 0; i < enumerants.size(); ++i) checkMember(i, enumerants[i].getName());
    }
  }
  return missing == 0 ? 0 : 1;
}

}  // namespace

int main() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 1u << 28;
  capnp::StreamFdMessageReader message(0, options);
  return check(message.getRoot<CodeGeneratorRequest>());
}
