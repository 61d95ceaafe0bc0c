// Starts the real ibd-cds binary as a child process on port 0, learns the port from the line
// it prints, and stops it with a signal. stderr (the log) goes to a file the test can read.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ibd::testing {

std::string binary_path();  // build/bin/ibd-cds
std::string config_path();  // config/ibd-cds.yaml in the source tree

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {},
                         const std::string& config = config_path());
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool running() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  const std::string& banner() const { return banner_; }
  // Sends `sig` and waits up to timeout_ms; returns the exit status (or -1 on timeout).
  int stop(int sig, int timeout_ms = 15000);
  std::string log() const;  // everything written to stderr so far

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string banner_;
  std::string log_path_;
};

// Any other program the tests need running beside the server (the test FHIR servers): ready
// once stdout prints a line that starts with `ready_prefix`; stderr goes to a log file.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& ready_prefix, int timeout_ms = 60000);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return !ready_line_.empty(); }
  const std::string& ready_line() const { return ready_line_; }
  // The number after "name=" in the ready line ("listening http=41234 https=..."), or the
  // first number after the prefix when name is empty; 0 when absent.
  std::uint16_t port(const std::string& name = "") const;
  int stop(int sig, int timeout_ms = 10000);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string ready_line_;
  std::string log_path_;
};

// A fresh temporary directory, removed with its contents when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the binary to completion with `args`.
RunResult run_binary(const std::vector<std::string>& args);

}  // namespace ibd::testing
