#pragma once
// Cross-site request forgery protection for the status page's one form (the
// alert acknowledge button).
//
// Mutual TLS authenticates the browser, not the click: a browser that holds
// a servicedesk certificate presents it to any request for the appliance,
// including a form another web site makes it submit. So a POST from the page
// must prove it came from the page itself. Two checks, both required:
//   - Same origin: the Origin header (every current browser sends it on a
//     POST) must be https://<the Host the request was sent to>; without an
//     Origin, the Referer must be on that origin; with neither, or with
//     "Origin: null", or Sec-Fetch-Site saying anything but same-origin, no.
//     A browser never lets a page set these headers itself.
//   - A token in the form, HMAC-SHA256 of the client certificate's SHA-256
//     fingerprint under a key made at random when the server starts: only a
//     page the appliance served to this certificate holds it (another site
//     cannot read the page), it is useless with any other certificate, and it
//     lapses when the daemon restarts. This is the "per-session" token, the
//     certificate being the session (mutual TLS has no cookies to bind to).
// The origin check alone would trust any browser that drops Origin and
// Referer correctly; the token alone would trust a page that leaked it. Both
// are cheap, so both.

#include <array>
#include <optional>
#include <string>
#include "control/api/api_result.h"

namespace portvakt::api {

class FormGuard {
 public:
  FormGuard();  // draws the key (RAND_bytes)

  // The token for forms shown to the certificate with this fingerprint
  // (its SHA-256, raw bytes): 64 hex digits.
  std::string tokenFor(const std::string& certFingerprint) const;
  // Whether `token` is that token (constant-time comparison).
  bool tokenValid(const std::string& certFingerprint, const std::string& token) const;

  // Ok when the request's Origin (or Referer) is https://`host`; else why not.
  static Status sameOrigin(const std::string& host, const std::string& origin, const std::string& referer,
                           const std::string& fetchSite);

 private:
  std::array<unsigned char, 32> key_{};
};

}  // namespace portvakt::api
