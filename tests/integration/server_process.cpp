#include "tests/integration/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ibd::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_file(const char* stem) {
  static int n = 0;
  return "/tmp/ibd-it-" + std::to_string(::getpid()) + "-" + stem + "-" + std::to_string(n++);
}

pid_t spawn_program(const std::string& program, const std::vector<std::string>& args, int out_fd,
                    int err_fd) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> argv;
    std::string bin = program;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(bin.c_str(), argv.data());
    std::_Exit(127);
  }
  return pid;
}

pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  return spawn_program(binary_path(), args, out_fd, err_fd);
}

// Reads `fd` until a line starting with `prefix` arrives (or the time is up); returns it.
std::string read_ready_line(int fd, const std::string& prefix, int timeout_ms) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t start = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
      std::string line = text.substr(start, nl - start);
      if (line.starts_with(prefix)) return line;
      start = nl + 1;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c[512];
    const ssize_t n = ::read(fd, c, sizeof c);
    if (n <= 0) break;
    text.append(c, static_cast<std::size_t>(n));
  }
  return {};
}

int wait_for(pid_t pid, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace

std::string binary_path() { return std::string(IBD_BIN_DIR) + "/ibd-cds"; }
std::string config_path() { return std::string(IBD_SOURCE_DIR) + "/config/ibd-cds.yaml"; }

ServerProcess::ServerProcess(std::vector<std::string> extra_args, const std::string& config) {
  log_path_ = temp_file("log");
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return;
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args{"serve", "--config", config, "--listen", "127.0.0.1:0"};
  // Tests that do not test authentication run the development profile.
  if (std::find(extra_args.begin(), extra_args.end(), "--profile") == extra_args.end()) {
    args.push_back("--profile");
    args.push_back("development");
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(args, pipe_fds[1], log_fd);
  ::close(pipe_fds[1]);
  ::close(log_fd);
  // The banner: "ibd-cds listening on http://127.0.0.1:PORT (...)".
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c[256];
    const ssize_t n = ::read(pipe_fds[0], c, sizeof c);
    if (n <= 0) break;
    line.append(c, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  banner_ = line.substr(0, line.find('\n'));
  const auto at = banner_.find("://127.0.0.1:");
  if (at != std::string::npos)
    port_ = static_cast<std::uint16_t>(std::stoi(banner_.substr(at + 13)));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && wait_for(pid_, 0) == -1) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, 5000);
  }
  std::remove(log_path_.c_str());
}

int ServerProcess::stop(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  const int status = wait_for(pid_, timeout_ms);
  if (status != -1) pid_ = -1;
  return status;
}

std::string ServerProcess::log() const { return slurp(log_path_); }

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::string& ready_prefix, int timeout_ms) {
  log_path_ = temp_file("child");
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return;
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_ = spawn_program(program, args, pipe_fds[1], log_fd);
  ::close(pipe_fds[1]);
  ::close(log_fd);
  ready_line_ = read_ready_line(pipe_fds[0], ready_prefix, timeout_ms);
  // Kept open (unread) so a later line on stdout does not fail the child with EPIPE.
  stdout_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && wait_for(pid_, 0) == -1) {
    ::kill(pid_, SIGTERM);
    if (wait_for(pid_, 3000) == -1) {
      ::kill(pid_, SIGKILL);
      wait_for(pid_, 5000);
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  std::remove(log_path_.c_str());
}

std::uint16_t ChildProcess::port(const std::string& name) const {
  std::size_t at = 0;
  if (name.empty()) {
    at = ready_line_.find_first_of("0123456789");
  } else {
    const auto key = ready_line_.find(name + "=");
    if (key == std::string::npos) return 0;
    at = key + name.size() + 1;
  }
  if (at == std::string::npos || at >= ready_line_.size()) return 0;
  return static_cast<std::uint16_t>(std::strtoul(ready_line_.c_str() + at, nullptr, 10));
}

int ChildProcess::stop(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  const int status = wait_for(pid_, timeout_ms);
  if (status != -1) pid_ = -1;
  return status;
}

std::string ChildProcess::log() const { return slurp(log_path_); }

TempDir::TempDir() {
  std::string pattern = "/tmp/ibd-it-XXXXXX";
  if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

RunResult run_binary(const std::vector<std::string>& args) {
  const std::string out_path = temp_file("out"), err_path = temp_file("err");
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const pid_t pid = spawn(args, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  RunResult r;
  r.exit_code = wait_for(pid, 30000);
  if (r.exit_code == -1) {
    ::kill(pid, SIGKILL);
    wait_for(pid, 5000);
  }
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

}  // namespace ibd::testing
