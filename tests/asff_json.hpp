// ASFF findings and EventBridge events as JSON, for tests that feed readers and the store.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cspm::test {

/// A FAILED HIGH S3.1 finding with one bucket; `updated` is its UpdatedAt.
inline nlohmann::json finding(const std::string& id, const std::string& account = "111122223333",
                              const std::string& updated = "2026-11-26T08:00:00.500Z") {
  return {{"SchemaVersion", "2018-10-08"},
          {"Id", id},
          {"ProductArn", "arn:aws:securityhub:eu-west-1::product/aws/securityhub"},
          {"AwsAccountId", account},
          {"GeneratorId", "security-control/S3.1"},
          {"Types", {"Software and Configuration Checks"}},
          {"CreatedAt", "2026-11-25T08:00:00Z"},
          {"UpdatedAt", updated},
          {"Severity", {{"Label", "HIGH"}, {"Normalized", 70}}},
          {"Title", "t"},
          {"Description", "d"},
          {"Compliance", {{"Status", "FAILED"}, {"SecurityControlId", "S3.1"}}},
          {"Workflow", {{"Status", "NEW"}}},
          {"RecordState", "ACTIVE"},
          {"Resources", {{{"Type", "AwsS3Bucket"}, {"Id", "arn:aws:s3:::b-" + id}, {"Region", "eu-west-1"},
                          {"Details", {{"AwsS3Bucket", {{"OwnerId", "x"}}}}}}}}};
}

/// An EventBridge "Security Hub Findings - Imported" event carrying `findings`.
inline nlohmann::json event(std::vector<nlohmann::json> findings) {
  return {{"version", "0"}, {"id", "e"}, {"detail-type", "Security Hub Findings - Imported"},
          {"source", "aws.securityhub"}, {"account", "111122223333"}, {"region", "eu-west-1"},
          {"resources", nlohmann::json::array()}, {"detail", {{"findings", findings}}}};
}

}  // namespace cspm::test
