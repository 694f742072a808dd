// Test certificates: a CA and a server certificate for a name, made with the openssl CLI.
#pragma once
#include <cstdlib>
#include <string>

#include <boost/test/unit_test.hpp>

#include "support.hpp"

namespace cspm::test {

struct Pki {
  TempDir dir;
  std::string ca, cert, key;
  explicit Pki(const std::string& name) {
    const auto p = dir.path().string();
    ca = p + "/ca.pem", cert = p + "/server.pem", key = p + "/server.key";
    const std::string cmd =
        "cd " + p + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=cspm-test-ca >/dev/null 2>&1 && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=" + name +
        " >/dev/null 2>&1 && printf 'subjectAltName=DNS:" + name + "\\n' > ext.cnf && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
        "-days 2 -extfile ext.cnf >/dev/null 2>&1";
    BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
  }
};

}  // namespace cspm::test
