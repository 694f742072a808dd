// A Finding that owns its text: what crosses a thread boundary in the ingest pipeline.
#pragma once
#include <algorithm>
#include <string>

#include <cspm/finding.hpp>

namespace cspm::store {

class OwnedFinding {
 public:
  OwnedFinding() = default;
  OwnedFinding(const OwnedFinding&) = delete;
  OwnedFinding& operator=(const OwnedFinding&) = delete;
  OwnedFinding(OwnedFinding&&) = default;  // std::string moves keep their heap buffer
  OwnedFinding& operator=(OwnedFinding&&) = default;

  /// Copies `f` and `raw`; views then point into this object's one buffer.
  void assign(const Finding& f, std::string_view raw) {
    std::size_t total = raw.size();
    for_each_text(const_cast<Finding&>(f), [&](std::string_view& s) { total += s.size(); });
    text_.clear();
    // No reallocation below, so the views stay valid; and never a short text held inside
    // the string object (a moved string would take it along and leave the views dangling).
    text_.reserve(std::max(total, 2 * sizeof(std::string)));
    finding_ = f;
    for_each_text(finding_, [&](std::string_view& s) { s = keep(s); });
    raw_ = keep(raw);
  }
  const Finding& finding() const noexcept { return finding_; }
  std::string_view raw() const noexcept { return raw_; }

 private:
  template <class Fn>
  static void for_each_text(Finding& f, Fn&& fn) {
    for (std::string_view* s : {&f.product_arn, &f.id, &f.account_id, &f.account_name, &f.region, &f.type,
                                &f.generator_id, &f.control_id, &f.product_name, &f.severity,
                                &f.compliance_status, &f.workflow_status, &f.record_state, &f.title,
                                &f.description, &f.remediation_text, &f.remediation_url, &f.source_url})
      fn(*s);
    for (Resource& r : f.resources)
      for (std::string_view* s : {&r.type, &r.id, &r.region, &r.partition}) fn(*s);
  }
  std::string_view keep(std::string_view s) {
    const std::size_t at = text_.size();
    text_.append(s);
    return {text_.data() + at, s.size()};
  }

  std::string text_;
  Finding finding_;
  std::string_view raw_;
};

}  // namespace cspm::store
