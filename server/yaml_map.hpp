// Strict reading of YAML for the configuration loader: every key of a mapping must be taken
// or done() names the stray one, and every message says "file:line:column: key: problem".
// Internal to server/config.cpp; failures are thrown as ConfigError and caught there.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ibd::config::yaml {

struct ConfigError {
  std::string message;
};

// Where a node is, for messages: "file:line:column".
class Source {
 public:
  explicit Source(std::string file) : file_(std::move(file)) {}
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& what) const {
    std::ostringstream out;
    out << file_;
    if (node.IsDefined() && node.Mark().line >= 0)
      out << ":" << node.Mark().line + 1 << ":" << node.Mark().column + 1;
    out << ": " << (path.empty() ? "" : path + ": ") << what;
    throw ConfigError{out.str()};
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// A YAML mapping read strictly: every key must be taken, or done() names the stray one.
class Map {
 public:
  Map(const Source& src, YAML::Node node, std::string path)
      : src_(src), node_(std::move(node)), path_(std::move(path)) {
    if (node_.IsNull() || !node_.IsDefined()) {
      node_ = YAML::Node(YAML::NodeType::Map);
    } else if (!node_.IsMap()) {
      src_.fail(node_, path_, "expected a mapping of keys to values");
    }
  }

  YAML::Node take(const std::string& key) {
    taken_.insert(key);
    return node_[key];
  }
  bool has(const std::string& key) const { return node_[key].IsDefined(); }
  std::string sub(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt) {
    YAML::Node n = take(key);
    if (!n.IsDefined()) {
      if (fallback) return *fallback;
      src_.fail(node_, sub(key), "is required");
    }
    if (n.IsNull()) return "";
    if (!n.IsScalar()) src_.fail(n, sub(key), "expected text");
    return n.Scalar();
  }

  long long integer(const std::string& key, long long fallback, long long min, long long max) {
    YAML::Node n = take(key);
    if (!n.IsDefined()) return fallback;
    long long v = 0;
    const std::string& s = n.IsScalar() ? n.Scalar() : std::string();
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!n.IsScalar() || ec != std::errc() || ptr != s.data() + s.size())
      src_.fail(n, sub(key), "expected a whole number");
    if (v < min || v > max)
      src_.fail(n, sub(key),
                "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
  }

  std::optional<double> number(const std::string& key, double min, double max) {
    YAML::Node n = take(key);
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    double v = 0;
    const std::string& s = n.IsScalar() ? n.Scalar() : std::string();
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!n.IsScalar() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v))
      src_.fail(n, sub(key), "expected a number");
    if (v < min || v > max)
      src_.fail(n, sub(key),
                "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
  }

  bool boolean(const std::string& key, bool fallback) {
    YAML::Node n = take(key);
    if (!n.IsDefined()) return fallback;
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false"))
      return n.Scalar() == "true";
    src_.fail(n, sub(key), "expected true or false");
  }

  std::vector<YAML::Node> list(const std::string& key, bool required) {
    YAML::Node n = take(key);
    if (!n.IsDefined() || n.IsNull()) {
      if (required) src_.fail(node_, sub(key), "is required");
      return {};
    }
    if (!n.IsSequence()) src_.fail(n, sub(key), "expected a list");
    return {n.begin(), n.end()};
  }

  std::vector<std::string> strings(const std::string& key) {
    std::vector<std::string> out;
    for (const YAML::Node& n : list(key, false)) {
      if (!n.IsScalar()) src_.fail(n, sub(key), "expected a list of text values");
      out.push_back(n.Scalar());
    }
    return out;
  }

  void done() const {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (!taken_.contains(key)) src_.fail(it->first, sub(key), "unknown key");
    }
  }

  const Source& source() const { return src_; }
  const YAML::Node& node() const { return node_; }

 private:
  const Source& src_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> taken_;
};

inline YAML::Node load_yaml(const std::filesystem::path& file) {
  try {
    return YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw ConfigError{file.string() + ": cannot read the file"};
  } catch (const YAML::ParserException& e) {
    throw ConfigError{file.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": " + e.msg};
  }
}

}  // namespace ibd::config::yaml
