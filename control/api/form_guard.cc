#include "control/api/form_guard.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <stdexcept>

namespace portvakt::api {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

FormGuard::FormGuard() {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("no random bytes for the status page's form key");
  }
}

std::string FormGuard::tokenFor(const std::string& certFingerprint) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(certFingerprint.data()), certFingerprint.size(), mac, &length);
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bool FormGuard::tokenValid(const std::string& certFingerprint, const std::string& token) const {
  const std::string want = tokenFor(certFingerprint);
  return token.size() == want.size() && CRYPTO_memcmp(token.data(), want.data(), want.size()) == 0;
}

Status FormGuard::sameOrigin(const std::string& host, const std::string& origin, const std::string& referer,
                             const std::string& fetchSite) {
  if (host.empty()) return Error{"the request names no Host"};
  const std::string self = "https://" + lower(host);
  if (!fetchSite.empty() && fetchSite != "same-origin") {
    return Error{"the browser says the form was sent from another site (Sec-Fetch-Site: " + fetchSite + ")"};
  }
  if (!origin.empty()) {
    if (lower(origin) == self) return {};
    return Error{"the form was sent from " + origin + ", not from this appliance's page (" + self + ")"};
  }
  if (!referer.empty()) {
    const std::string r = lower(referer);
    if (r.size() > self.size() && r.compare(0, self.size(), self) == 0 && r[self.size()] == '/') return {};
    return Error{"the form was sent from a page that is not this appliance's (" + self + ")"};
  }
  return Error{"the request carries neither Origin nor Referer, so it cannot be told from a cross-site forgery"};
}

}  // namespace portvakt::api
