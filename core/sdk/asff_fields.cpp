// Field-by-field ASFF extraction; required fields and the severity precedence live here.
#include "asff_fields.hpp"

#include <cstring>

#include <cspm/severity.hpp>

namespace cspm::detail {

simdjson::error_code member_key(simdjson::simdjson_result<simdjson::ondemand::field>& member, std::string_view& key) {
  simdjson::ondemand::raw_json_string raw;
  if (auto e = member.key().get(raw)) return e;
  // Stage 1 proved every string closed, so a quote comes before the end of the document.
  const char* const begin = raw.raw();
  const char* p = begin;
  while (*p != '"' && *p != '\\') ++p;
  if (*p == '"') {
    key = std::string_view(begin, static_cast<std::size_t>(p - begin));
    return simdjson::SUCCESS;
  }
  return member.unescaped_key().get(key);
}

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

// The first problem found in a finding; later ones are not interesting to the operator.
void note(std::string& problem, std::string_view field, std::string_view what) {
  if (problem.empty()) problem = std::string{field} + ": " + std::string{what};
}

// Reads an optional string: null counts as absent, any other type is a problem.
error_code text(od::value& v, std::string_view& out, std::string_view field,
                std::string& problem) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  if (t == od::json_type::null) return SUCCESS;
  if (t != od::json_type::string) {
    note(problem, field, "expected a string");
    return SUCCESS;
  }
  // Most text holds no escape: take it from the input as it stands rather than copying it
  // through get_string(). The token runs from its quote to the next structural character.
  std::string_view token = v.raw_json_token();
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                            token.back() == '\r'))
    token.remove_suffix(1);
  if (token.size() >= 2 && token.back() == '"') {
    token = token.substr(1, token.size() - 2);
    if (!std::memchr(token.data(), '\\', token.size())) {
      out = token;
      return SUCCESS;
    }
  }
  return v.get_string().get(out);
}

error_code time(od::value& v, Timestamp& out, std::string_view field, std::string& problem) {
  std::string_view s;
  if (auto e = text(v, s, field, problem)) return e;
  if (s.empty()) return SUCCESS;
  if (auto t = parse_timestamp(s))
    out = *t;
  else
    note(problem, field, "not an ISO 8601 time");
  return SUCCESS;
}

// Gets an object or notes that the field has the wrong type (`ok` tells which).
error_code object_of(od::value& v, od::object& out, bool& ok, std::string_view field,
                     std::string& problem) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  ok = t == od::json_type::object;
  if (!ok) {
    if (t != od::json_type::null) note(problem, field, "expected an object");
    return SUCCESS;
  }
  return v.get_object().get(out);
}

struct SeverityParts {
  std::string_view provider_label;
  std::string_view label;
  long long normalized = -1;
};

error_code severity(od::value& v, std::string_view& label, long long* normalized,
                    std::string_view field, std::string& problem) {
  od::object o;
  bool ok;
  if (auto e = object_of(v, o, ok, field, problem); e || !ok) return e;
  for (auto f : o) {
    std::string_view key;
    if (auto e = member_key(f, key)) return e;
    od::value fv = f.value();
    if (key == "Label") {
      if (auto e = text(fv, label, "Severity.Label", problem)) return e;
    } else if (key == "Normalized" && normalized) {
      od::json_type t;
      if (auto e = fv.type().get(t)) return e;
      if (t == od::json_type::number) {
        double d;
        if (auto e = fv.get_double().get(d)) return e;
        // Out of range (or NaN) maps to "no score", never to an undefined cast.
        if (d >= 0 && d <= 100) *normalized = static_cast<long long>(d);
      }
    }
  }
  return SUCCESS;
}

error_code resources(od::value& v, Finding& out, std::string& problem) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  if (t != od::json_type::array) {
    note(problem, "Resources", "expected an array");
    return SUCCESS;
  }
  od::array arr;
  if (auto e = v.get_array().get(arr)) return e;
  for (auto element : arr) {
    od::value rv;
    if (auto e = element.get(rv)) return e;
    od::object ro;
    bool ok;
    if (auto e = object_of(rv, ro, ok, "Resources[]", problem)) return e;
    if (!ok) {
      note(problem, "Resources[]", "expected an object");
      continue;
    }
    Resource r;
    for (auto f : ro) {
      std::string_view key;
      if (auto e = member_key(f, key)) return e;
      od::value fv = f.value();
      error_code e = SUCCESS;
      if (key == "Id") e = text(fv, r.id, "Resources[].Id", problem);
      else if (key == "Type") e = text(fv, r.type, "Resources[].Type", problem);
      else if (key == "Region") e = text(fv, r.region, "Resources[].Region", problem);
      else if (key == "Partition") e = text(fv, r.partition, "Resources[].Partition", problem);
      if (e) return e;
    }
    if (r.id.empty())
      note(problem, "Resources[].Id", "missing");
    else
      out.resources.push_back(r);
  }
  return SUCCESS;
}

error_code nested_text(od::value& v, std::string_view outer, std::string_view inner,
                       std::string_view& out, std::string& problem) {
  od::object o;
  bool ok;
  if (auto e = object_of(v, o, ok, outer, problem); e || !ok) return e;
  for (auto f : o) {
    std::string_view key;
    if (auto e = member_key(f, key)) return e;
    if (key == inner) {
      od::value fv = f.value();
      if (auto e = text(fv, out, inner, problem)) return e;
    }
  }
  return SUCCESS;
}

error_code remediation(od::value& v, Finding& out, std::string& problem) {
  od::object o;
  bool ok;
  if (auto e = object_of(v, o, ok, "Remediation", problem); e || !ok) return e;
  for (auto f : o) {
    std::string_view key;
    if (auto e = member_key(f, key)) return e;
    if (key != "Recommendation") continue;
    od::value rv = f.value();
    od::object ro;
    bool rok;
    if (auto e = object_of(rv, ro, rok, "Remediation.Recommendation", problem); e || !rok)
      return e;
    for (auto x : ro) {
      std::string_view xk;
      if (auto e = member_key(x, xk)) return e;
      od::value xv = x.value();
      error_code e = SUCCESS;
      if (xk == "Text") e = text(xv, out.remediation_text, "Recommendation.Text", problem);
      else if (xk == "Url") e = text(xv, out.remediation_url, "Recommendation.Url", problem);
      if (e) return e;
    }
  }
  return SUCCESS;
}

}  // namespace

error_code AsffFieldParser::parse(od::object object, Finding& out, std::string& problem,
                                  ContainerVisitor* visitor, bool* container) {
  auto kept = std::move(out.resources);  // reuse its capacity across findings
  kept.clear();
  out = Finding{};
  out.resources = std::move(kept);
  problem.clear();
  SeverityParts sev;
  std::string_view workflow_state;
  for (auto f : object) {
    std::string_view key;
    if (auto e = member_key(f, key)) return e;
    od::value v = f.value();
    error_code e = SUCCESS;
    // Dispatch on the first letter keeps the common case to one or two comparisons.
    switch (key.empty() ? '\0' : key[0]) {
      case 'A':
        if (key == "AwsAccountId") e = text(v, out.account_id, key, problem);
        else if (key == "AwsAccountName") e = text(v, out.account_name, key, problem);
        break;
      case 'C':
        if (key == "CreatedAt") {
          e = time(v, out.created_at, key, problem);
        } else if (key == "Compliance") {
          od::object o;
          bool ok;
          e = object_of(v, o, ok, key, problem);
          if (!e && ok)
            for (auto cf : o) {
              std::string_view ck;
              if ((e = member_key(cf, ck))) break;
              od::value cv = cf.value();
              if (ck == "Status") e = text(cv, out.compliance_status, "Compliance.Status", problem);
              else if (ck == "SecurityControlId")
                e = text(cv, out.control_id, "Compliance.SecurityControlId", problem);
              if (e) break;
            }
        }
        break;
      case 'D':
        if (key == "Description") e = text(v, out.description, key, problem);
        break;
      case 'F':
        if (key == "Findings" && visitor) {
          *container = true;
          e = visitor->visit(key, v);
        } else if (key == "FirstObservedAt") {
          e = time(v, out.first_observed_at, key, problem);
        } else if (key == "FindingProviderFields") {
          od::object o;
          bool ok;
          e = object_of(v, o, ok, key, problem);
          if (!e && ok)
            for (auto pf : o) {
              std::string_view pk;
              if ((e = member_key(pf, pk))) break;
              if (pk == "Severity") {
                od::value pv = pf.value();
                if ((e = severity(pv, sev.provider_label, nullptr,
                                  "FindingProviderFields.Severity", problem)))
                  break;
              }
            }
        }
        break;
      case 'G':
        if (key == "GeneratorId") e = text(v, out.generator_id, key, problem);
        break;
      case 'I':
        if (key == "Id") e = text(v, out.id, key, problem);
        break;
      case 'L':
        if (key == "LastObservedAt") e = time(v, out.last_observed_at, key, problem);
        break;
      case 'P':
        if (key == "ProductArn") e = text(v, out.product_arn, key, problem);
        else if (key == "ProductName") e = text(v, out.product_name, key, problem);
        break;
      case 'R':
        if (key == "Resources") e = resources(v, out, problem);
        else if (key == "Region") e = text(v, out.region, key, problem);
        else if (key == "RecordState") e = text(v, out.record_state, key, problem);
        else if (key == "Remediation") e = remediation(v, out, problem);
        break;
      case 'S':
        if (key == "Severity") e = severity(v, sev.label, &sev.normalized, key, problem);
        else if (key == "SourceUrl") e = text(v, out.source_url, key, problem);
        break;
      case 'T':
        if (key == "Title") {
          e = text(v, out.title, key, problem);
        } else if (key == "Types") {
          od::json_type t;
          if ((e = v.type().get(t))) break;
          if (t != od::json_type::array) {
            if (t != od::json_type::null) note(problem, key, "expected an array");
            break;
          }
          od::array arr;
          if ((e = v.get_array().get(arr))) break;
          for (auto element : arr) {
            od::value tv;
            if ((e = element.get(tv))) break;
            if (out.type.empty() && (e = text(tv, out.type, "Types[]", problem))) break;
          }
        }
        break;
      case 'U':
        if (key == "UpdatedAt") e = time(v, out.updated_at, key, problem);
        break;
      case 'W':
        if (key == "Workflow") e = nested_text(v, key, "Status", out.workflow_status, problem);
        else if (key == "WorkflowState") e = text(v, workflow_state, key, problem);
        break;
      default:
        if (visitor && (key == "detail" || key == "findings")) {
          *container = true;
          e = visitor->visit(key, v);
        }
        break;
    }
    if (e) return e;
  }

  if (out.workflow_status.empty()) out.workflow_status = workflow_state;
  if (severity_rank(sev.provider_label) > 0) out.severity = sev.provider_label;
  else if (severity_rank(sev.label) > 0) out.severity = sev.label;
  else if (sev.normalized >= 0) out.severity = severity_from_normalized(sev.normalized);
  if (out.last_observed_at == 0) out.last_observed_at = out.updated_at;

  if (out.id.empty()) note(problem, "Id", "missing");
  else if (out.product_arn.empty()) note(problem, "ProductArn", "missing");
  else if (out.account_id.empty()) note(problem, "AwsAccountId", "missing");
  else if (out.updated_at == 0) note(problem, "UpdatedAt", "missing");
  else if (out.resources.empty()) note(problem, "Resources", "missing or empty");
  else if (out.severity.empty()) note(problem, "Severity", "no label and no Normalized score");
  return SUCCESS;
}

}  // namespace cspm::detail
