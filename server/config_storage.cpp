#include "server/config_storage.hpp"

#include <cctype>
#include <string>

namespace ibd::config {
namespace {

namespace fs = std::filesystem;
using yaml::Map;

fs::path relative_to(const fs::path& file, const std::string& path) {
  const fs::path p(path);
  return (p.is_absolute() ? p : file.parent_path() / p).lexically_normal();
}

// A password in a PostgreSQL URL would put a secret in the config file.
bool url_has_password(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto authority_end = url.find_first_of("/?", authority_start);
  const std::string authority = url.substr(authority_start, authority_end - authority_start);
  const auto at = authority.rfind('@');
  if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos)
    return true;
  std::string lower;
  for (char c : url) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower.find("password=") != std::string::npos;
}

bool valid_env_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

}  // namespace

StorageSection read_storage(Map& top, const fs::path& file) {
  StorageSection s;
  Map m(top.source(), top.take("storage"), "storage");
  const std::string url = m.string("url", "sqlite:../var/ibd-cds.db");
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    if (path.empty() || path == ":memory:" || path.starts_with("file:"))
      m.source().fail(m.node()["url"], "storage.url", "sqlite: needs a file path");
    s.url = "sqlite:" + relative_to(file, path).string();
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    if (url_has_password(url))
      m.source().fail(m.node()["url"], "storage.url",
                      "no password in the URL: name a password_file or password_env instead");
    s.url = url;
  } else {
    m.source().fail(m.node()["url"], "storage.url",
                    "expected sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE");
  }
  const std::string password_file = m.string("password_file", "");
  if (!password_file.empty()) s.password_file = relative_to(file, password_file);
  s.password_env = m.string("password_env", "");
  if (!s.password_env.empty() && !valid_env_name(s.password_env))
    m.source().fail(m.node()["password_env"], "storage.password_env",
                    "expected an environment variable name");
  if ((!s.password_file.empty() || !s.password_env.empty()) && !url.starts_with("postgres"))
    m.source().fail(m.node(), "storage", "password_file and password_env are for postgresql");
  if (!s.password_file.empty() && !s.password_env.empty())
    m.source().fail(m.node(), "storage", "give password_file or password_env, not both");
  s.connections = static_cast<unsigned>(m.integer("connections", s.connections, 1, 64));
  s.busy_timeout =
      std::chrono::milliseconds(m.integer("busy_timeout_ms", s.busy_timeout.count(), 1, 600'000));
  m.done();
  return s;
}

AuditSection read_audit(Map& top, const fs::path& file) {
  AuditSection a;
  Map m(top.source(), top.take("audit"), "audit");
  const std::string key_file = m.string("key_file", "");
  if (!key_file.empty()) a.key_file = relative_to(file, key_file);
  a.key_env = m.string("key_env", "");
  if (!a.key_env.empty() && !valid_env_name(a.key_env))
    m.source().fail(m.node()["key_env"], "audit.key_env", "expected an environment variable name");
  if (!a.key_file.empty() && !a.key_env.empty())
    m.source().fail(m.node(), "audit", "give key_file or key_env, not both");
  a.queue_limit = static_cast<std::size_t>(
      m.integer("queue_limit", static_cast<long long>(a.queue_limit), 1, 1'000'000));
  a.response_wait = std::chrono::milliseconds(
      m.integer("response_wait_ms", a.response_wait.count(), 0, 60'000));
  m.done();
  return a;
}

}  // namespace ibd::config
