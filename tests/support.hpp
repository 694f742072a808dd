// Helpers shared by the tests: temporary files, findings that own their text, a recording
// RunContext and a way to run the real cspmd binary.
#pragma once
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cspm/context.hpp>
#include <cspm/finding.hpp>

namespace cspm::test {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

/// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("cspm-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& content) const {
    write_file(path_ / name, content);
    return path_ / name;
  }

 private:
  fs::path path_;
};

/// Builds Findings whose views point into strings this object owns.
class FindingFactory {
 public:
  std::string_view keep(std::string s) { return strings_.emplace_back(std::move(s)); }

  /// A FAILED HIGH S3.1 finding in 111122223333 with one S3 bucket; adjust as needed.
  Finding make(const std::string& id, Timestamp updated = 1'700'000'000'000) {
    Finding f;
    f.product_arn = keep("arn:aws:securityhub:eu-west-1::product/aws/securityhub");
    f.id = keep(id);
    f.account_id = keep("111122223333");
    f.region = keep("eu-west-1");
    f.type = keep("Software and Configuration Checks/Industry and Regulatory Standards");
    f.control_id = keep("S3.1");
    f.severity = keep("HIGH");
    f.compliance_status = keep("FAILED");
    f.workflow_status = keep("NEW");
    f.record_state = keep("ACTIVE");
    f.title = keep("S3 general purpose buckets should have block public access settings enabled");
    f.description = keep("This control checks block public access.");
    f.remediation_text = keep("See the documentation.");
    f.remediation_url = keep("https://docs.aws.amazon.com/console/securityhub/S3.1/remediation");
    f.resources.push_back({keep("AwsS3Bucket"), keep("arn:aws:s3:::bucket-" + id), keep("eu-west-1"), keep("aws")});
    f.created_at = updated - 86'400'000;
    f.updated_at = updated;
    f.first_observed_at = f.created_at;
    f.last_observed_at = updated;
    return f;
  }

 private:
  std::deque<std::string> strings_;
};

/// A RunContext that records what stages do.
class RecordingContext final : public RunContext {
 public:
  explicit RecordingContext(Timestamp now = 1'700'000'000'000, std::string pipeline = "test-pipeline")
      : now_(now), pipeline_(std::move(pipeline)) {}
  std::string_view pipeline_id() const noexcept override { return pipeline_; }
  std::string_view stage_id() const noexcept override { return "stage"; }
  Timestamp now() const noexcept override { return now_; }
  bool dry_run() const noexcept override { return dry_run_; }
  bool stop_requested() const noexcept override { return stop_requested_; }
  void request_stop() { stop_requested_ = true; }
  void log(LogLevel, std::string_view message) override { logs.emplace_back(message); }
  void count(std::string_view name, std::uint64_t n) override { counts[std::string{name}] += n; }
  void retain(std::shared_ptr<const void> storage) override { kept.push_back(std::move(storage)); }
  std::ostream& output() override { return out; }
  FindingStore* store() noexcept override { return store_; }
  void set_store(FindingStore* s) { store_ = s; }
  TicketLedger* ledger() noexcept override { return ledger_; }
  void set_ledger(TicketLedger* l) { ledger_ = l; }
  void set_dry_run(bool d) { dry_run_ = d; }

  std::vector<std::string> logs;
  std::map<std::string, std::uint64_t> counts;
  std::vector<std::shared_ptr<const void>> kept;
  std::ostringstream out;
  bool stop_requested_ = false;

 private:
  Timestamp now_;
  std::string pipeline_;
  FindingStore* store_ = nullptr;
  TicketLedger* ledger_ = nullptr;
  bool dry_run_ = true;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs a shell command line; stdout and stderr are captured separately.
inline CommandResult run_command(const std::string& command) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out", err = tmp.path() / "err";
  // Grouped, so that a redirection inside `command` still applies to it.
  const std::string full = "{ " + command + " ; } > '" + out.string() + "' 2> '" + err.string() + "' < /dev/null";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

/// A data directory for this test process, so that tests never share (or leave) a store.
inline const fs::path& test_data_dir() {
  static const TempDir dir;
  return dir.path();
}

/// Runs the cspmd built with these tests, with the built plugins and this process's store.
inline CommandResult cspmd(const std::string& args) {
  return run_command(std::string{"CSPM_PLUGIN_DIR='"} + CSPM_PLUGIN_DIR + "' CSPM_DATA_DIR='" +
                     test_data_dir().string() + "' '" + CSPMD_BINARY + "' " + args);
}

/// A cspmd started in the background whose stderr is read line by line as it comes (so a
/// test can act at a precise point of its progress without sleeping).
class Background {
 public:
  explicit Background(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 2);
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      close(fds[0]);
      setenv("CSPM_PLUGIN_DIR", CSPM_PLUGIN_DIR, 1);
      std::vector<char*> argv{const_cast<char*>(CSPMD_BINARY)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(CSPMD_BINARY, argv.data());
      _exit(127);
    }
    close(fds[1]);
    err_ = fdopen(fds[0], "r");
  }
  ~Background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (err_) fclose(err_);
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  /// The next stderr line; nullopt at end of output.
  std::optional<std::string> next_line() {
    std::string line;
    for (int c; (c = fgetc(err_)) != EOF;) {
      if (c == '\n') return line;
      line += static_cast<char>(c);
    }
    if (line.empty()) return std::nullopt;
    return line;
  }
  /// Reads stderr until a line contains `text`; false if the output ended first.
  bool wait_for(const std::string& text) {
    while (auto line = next_line())
      if (line->find(text) != std::string::npos) return true;
    return false;
  }
  void kill9() { ::kill(pid_, SIGKILL); }
  pid_t pid() const { return pid_; }
  /// The exit code, or -signal.
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  FILE* err_ = nullptr;
};

/// Quoted for the shell (single quotes inside survive).
inline std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

/// Runs the project's generator (tools/gen-findings) with `options` into dir/name.
inline std::string generate_findings(const TempDir& dir, const std::string& name, const std::string& options) {
  const auto path = dir.path() / name;
  const auto r = run_command("python3 " + q(std::string{CSPM_SOURCE_DIR} + "/tools/gen-findings") + " " + options +
                             " > " + q(path.string()));
  if (r.exit_code != 0) throw std::runtime_error("gen-findings failed: " + r.err);
  return path.string();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace cspm::test
