#include "tests/integration/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
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

pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> argv;
    std::string bin = binary_path();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    std::_Exit(127);
  }
  return pid;
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

ServerProcess::ServerProcess(std::vector<std::string> extra_args) {
  log_path_ = temp_file("log");
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return;
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args{"serve", "--config", config_path(), "--listen", "127.0.0.1:0"};
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
  const auto at = banner_.find("http://127.0.0.1:");
  if (at != std::string::npos)
    port_ = static_cast<std::uint16_t>(std::stoi(banner_.substr(at + 17)));
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
