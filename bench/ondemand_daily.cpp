// Benchmark peer: the daily job's grouping as one hand-written simdjson On-Demand program.
//
// The issue that set cspmd's speed target quotes such a program as the floor ("does the
// extraction+grouping in 0.5 s"). This is one, written for speed and nothing else: no
// plugins, no tickets, no error report beyond a count, only the fields grouping needs. It
// follows the rules of bench/reference_daily.py (read those) on plain NDJSON of EventBridge
// events or bare findings, with one thread per CPU over line ranges, and prints the same
// group objects, so bench/run.sh checks that it agrees with the other peers.
//
//   ondemand_daily --now ISO --accounts A,B --severities S,T --account-controls C,D
//                  --resource-controls E,F FILE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

namespace {

namespace od = simdjson::ondemand;

const char* const kSeverities[] = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

int rank(std::string_view label) {
  for (int i = 0; i < 5; ++i)
    if (label == kSeverities[i]) return i;
  return -1;
}

int rank_of_normalized(double n) {
  return n >= 90 ? 4 : n >= 70 ? 3 : n >= 40 ? 2 : n >= 1 ? 1 : 0;
}

// Microseconds since the epoch of an RFC 3339 time; -1 when it is not one.
long long micros(std::string_view s) {
  const auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return -1;
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), sec = num(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
    return -1;
  long long frac = 0, scale = 1000000;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
      if (scale > 1) frac += (s[i] - '0') * (scale /= 10);
  long long offset = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-') && i + 6 == s.size())
    offset = ((s[i + 1] - '0') * 10 + s[i + 2] - '0') * 3600 + ((s[i + 4] - '0') * 10 + s[i + 5] - '0') * 60,
    offset = s[i] == '-' ? -offset : offset;
  else if (!(i + 1 == s.size() && s[i] == 'Z'))
    return -1;
  // days from civil (Howard Hinnant's algorithm)
  y -= mo <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - offset) * 1000000 + frac;
}

// What grouping needs of a finding's latest state.
struct State {
  long long updated = 0, observed = 0;
  std::uint64_t position = 0;
  int severity = -1;
  std::string account, control, compliance, record, workflow;
  std::vector<std::string> resources;
};

struct Peer {
  std::unordered_map<std::string, State> latest;  // key: ProductArn + '\n' + Id
  std::uint64_t malformed = 0;
};

std::string_view key_of(od::field& f) {
  const char* raw = f.key().raw();
  const char* p = raw;
  while (*p != '"') ++p;
  return {raw, static_cast<std::size_t>(p - raw)};
}

template <class T>
bool get(od::value v, T& out) { return !v.get(out); }

// One finding object; false when it is malformed.
bool finding(od::object object, std::uint64_t position, Peer& peer) {
  std::string_view id, arn, updated, observed, label, provider_label, wf, wf_state;
  State s;
  double normalized = -1;
  for (auto result : object) {
    od::field f;
    if (std::move(result).get(f)) return false;
    const std::string_view k = key_of(f);
    std::string_view text;
    if (k == "Id") { if (!get(f.value(), id)) return false; }
    else if (k == "ProductArn") { if (!get(f.value(), arn)) return false; }
    else if (k == "AwsAccountId") { if (!get(f.value(), text)) return false; s.account = text; }
    else if (k == "UpdatedAt") { if (!get(f.value(), updated)) return false; }
    else if (k == "LastObservedAt") { get(f.value(), observed); }
    else if (k == "RecordState") { if (get(f.value(), text)) s.record = text; }
    else if (k == "WorkflowState") { get(f.value(), wf_state); }
    else if (k == "Workflow" || k == "Compliance" || k == "Severity" || k == "FindingProviderFields") {
      od::object o;
      if (f.value().get_object().get(o)) continue;
      for (auto inner : o) {
        od::field g;
        if (std::move(inner).get(g)) return false;
        const std::string_view ik = key_of(g);
        if (k == "Workflow" && ik == "Status") get(g.value(), wf);
        else if (k == "Compliance" && ik == "Status") { if (get(g.value(), text)) s.compliance = text; }
        else if (k == "Compliance" && ik == "SecurityControlId") { if (get(g.value(), text)) s.control = text; }
        else if (k == "Severity" && ik == "Label") get(g.value(), label);
        else if (k == "Severity" && ik == "Normalized") get(g.value(), normalized);
        else if (k == "FindingProviderFields" && ik == "Severity") {
          od::object sev;
          if (g.value().get_object().get(sev)) continue;
          for (auto x : sev) {
            od::field h;
            if (std::move(x).get(h)) return false;
            if (key_of(h) == "Label") get(h.value(), provider_label);
          }
        }
      }
    } else if (k == "Resources") {
      od::array arr;
      if (f.value().get_array().get(arr)) return false;
      for (auto element : arr) {
        od::object r;
        if (element.get_object().get(r)) return false;
        std::string_view rid;
        for (auto x : r) {
          od::field h;
          if (std::move(x).get(h)) return false;
          if (key_of(h) == "Id" && get(h.value(), rid)) s.resources.emplace_back(rid);
        }
        if (rid.empty()) return false;
      }
    }
  }
  s.updated = micros(updated);
  s.severity = rank(provider_label) >= 0 ? rank(provider_label)
             : rank(label) >= 0          ? rank(label)
             : normalized >= 0 && normalized <= 100 ? rank_of_normalized(normalized) : -1;
  if (id.empty() || arn.empty() || s.account.empty() || s.updated < 0 || s.resources.empty() || s.severity < 0)
    return false;
  s.observed = observed.empty() ? s.updated : micros(observed);
  s.workflow = wf.empty() ? wf_state : wf;
  s.position = position;
  std::string key;
  key.reserve(arn.size() + 1 + id.size());
  key.append(arn).append(1, '\n').append(id);
  auto [it, inserted] = peer.latest.try_emplace(std::move(key));
  if (inserted || s.updated > it->second.updated ||
      (s.updated == it->second.updated && position > it->second.position))
    it->second = std::move(s);
  return true;
}

// One NDJSON line: an event (every finding of detail.findings) or a bare finding.
void line(od::parser& parser, const char* data, std::size_t len, std::size_t capacity,
          std::uint64_t position, Peer& peer) {
  od::document doc;
  od::object top;
  if (parser.iterate(data, len, capacity).get(doc) || doc.get_object().get(top)) {
    ++peer.malformed;
    return;
  }
  std::size_t findings = 0;
  bool ok = true;
  for (auto result : top) {
    od::field f;
    if (std::move(result).get(f)) { ok = false; break; }
    if (key_of(f) != "detail") continue;
    od::object detail;
    if (f.value().get_object().get(detail)) { ok = false; break; }
    for (auto d : detail) {
      od::field g;
      if (std::move(d).get(g)) { ok = false; break; }
      if (key_of(g) != "findings") continue;
      od::array arr;
      if (g.value().get_array().get(arr)) { ok = false; break; }
      for (auto element : arr) {
        od::object o;
        if (element.get_object().get(o) || !finding(o, position + findings++, peer)) ok = false;
      }
    }
  }
  if (findings == 0 && ok) {  // no event: the line is a bare finding
    doc.rewind();
    if (doc.get_object().get(top) || !finding(top, position, peer)) ok = false;
  }
  if (!ok) ++peer.malformed;
}

// Reads the lines that start in [begin, end) of the file, in 1 MiB chunks: small enough to
// parse each line while it is still in the core's cache (64 MiB chunks were a third slower).
// A line must fit in a chunk; generated days stay under 16 KB.
void read_range(int fd, std::uint64_t begin, std::uint64_t end, Peer& peer) {
  od::parser parser;
  constexpr std::size_t kChunk = 1u << 20, kPad = simdjson::SIMDJSON_PADDING;
  std::vector<char> buf(kChunk + kPad);
  std::uint64_t offset = begin;
  if (begin > 0) {  // skip to the first line starting at or after begin
    char c;
    offset = begin - 1;
    while (pread(fd, &c, 1, static_cast<off_t>(offset)) == 1 && (++offset, c != '\n')) {}
  }
  std::size_t filled = 0;
  std::uint64_t buf_offset = offset;
  while (offset < end) {
    const ssize_t got = pread(fd, buf.data() + filled, kChunk - filled, static_cast<off_t>(buf_offset + filled));
    if (got <= 0 && filled == 0) break;
    if (got > 0) filled += static_cast<std::size_t>(got);
    std::size_t at = 0;
    while (buf_offset + at < end) {
      const char* nl = static_cast<const char*>(std::memchr(buf.data() + at, '\n', filled - at));
      if (!nl && got > 0) break;  // the line goes on in the next chunk
      const std::size_t len = (nl ? nl - buf.data() : filled) - at;
      if (len > 0) line(parser, buf.data() + at, len, buf.size() - at, buf_offset + at, peer);
      at += len + 1;
      if (!nl) break;
    }
    if (got <= 0) break;
    std::memmove(buf.data(), buf.data() + at, filled - std::min(at, filled));
    filled -= std::min(at, filled);
    buf_offset += at;
    offset = buf_offset;
  }
}

std::set<std::string> list(const std::string& csv) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= csv.size()) {
    const std::size_t comma = std::min(csv.find(',', start), csv.size());
    if (comma > start) out.insert(csv.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && i + 1 < argc) opt[a.substr(2)] = argv[++i];
    else path = a;
  }
  const long long now = micros(opt["now"]);
  if (path.empty() || now < 0) {
    std::fprintf(stderr, "usage: ondemand_daily --now ISO [--accounts ...] ... FILE\n");
    return 2;
  }
  const auto accounts = list(opt["accounts"]), severities = list(opt["severities"]),
             by_account = list(opt["account-controls"]), by_resource = list(opt["resource-controls"]);
  const int fd = open(path.c_str(), O_RDONLY);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    std::perror(path.c_str());
    return 1;
  }
  const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  std::vector<Peer> peers(threads);
  std::vector<std::thread> workers;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  for (unsigned i = 0; i < threads; ++i)
    workers.emplace_back(read_range, fd, size * i / threads, size * (i + 1) / threads, std::ref(peers[i]));
  for (auto& w : workers) w.join();

  // Merge the threads' latest states, then filter and group.
  Peer& all = peers[0];
  for (unsigned i = 1; i < threads; ++i) {
    all.malformed += peers[i].malformed;
    for (auto& [key, s] : peers[i].latest) {
      auto [it, inserted] = all.latest.try_emplace(key, s);
      if (!inserted && (s.updated > it->second.updated ||
                        (s.updated == it->second.updated && s.position > it->second.position)))
        it->second = std::move(s);
    }
  }
  struct Group {
    std::string account;
    std::set<std::string> resources;
    int severity = -1;
    int findings = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Group> groups;  // grouping, key, control
  for (const auto& [key, s] : all.latest) {
    if (s.severity < 0 || !severities.count(kSeverities[s.severity])) continue;
    if (!(s.compliance.empty() || s.compliance == "FAILED") || s.record != "ACTIVE") continue;
    if (s.workflow == "SUPPRESSED" || s.workflow == "RESOLVED") continue;
    if (!accounts.empty() && !accounts.count(s.account)) continue;
    if (s.observed > now || s.observed < now - 86400LL * 1000000) continue;
    const bool per_account = by_account.count(s.control), per_resource = by_resource.count(s.control);
    if (!per_account && !per_resource) continue;
    Group& g = groups[{per_account ? "account" : "resource", per_account ? s.account : s.resources[0], s.control}];
    g.account = g.account.empty() ? s.account : std::min(g.account, s.account);
    if (per_account) g.resources.insert(s.resources.begin(), s.resources.end());
    else g.resources.insert(s.resources[0]);
    g.severity = std::max(g.severity, s.severity);
    ++g.findings;
  }
  for (const auto& [key, g] : groups) {
    std::string out = "{\"grouping\": " + json_string(std::get<0>(key)) + ", \"account_id\": " +
                      json_string(g.account) + ", \"control_ids\": [" + json_string(std::get<2>(key)) +
                      "], \"resource_ids\": [";
    bool first = true;
    for (const auto& r : g.resources) out += (first ? "" : ", ") + json_string(r), first = false;
    out += "], \"severity\": \"" + std::string(kSeverities[g.severity]) + "\", \"findings\": " +
           std::to_string(g.findings) + "}\n";
    std::fputs(out.c_str(), stdout);
  }
  std::fprintf(stderr, "{\"unique\": %zu, \"malformed\": %llu, \"groups\": %zu}\n", all.latest.size(),
               static_cast<unsigned long long>(all.malformed), groups.size());
  return 0;
}
