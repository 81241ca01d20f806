#pragma once
// What the HTTPS server checks client certificates against: the region's CA
// (read once, at start) and its CRL, reread whenever the CRL file changes.
//
// A region's CA publishes a new CRL every few days and whenever it revokes a
// certificate; operators fetch it onto the appliance (a timer, Ansible). What
// they expect, as with a web server's certificate directory, is that
// replacing the file is enough: so the server looks at the file's identity
// (device, inode, size, modification and change times) at the start of every
// TLS handshake, and when it differs builds a new store from the CA and the
// new CRL. New connections use the new store; connections already open keep
// the one they started with (keep-alive ends them within seconds:
// https_server.h). No restart, no signal.
//
// A new file that cannot be used (unreadable, no PEM CRL, a CRL the CA did
// not sign) changes nothing: the last good CRL stays in force, and stderr
// says why, once per change of the file. Replace the file atomically (write
// a new one, rename it over the old) so that a handshake never reads half a
// file.
//
// Thread-safe: verifyStoreForHandshake() is called from the HTTPS workers.

#include <openssl/x509.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/api/api_result.h"

namespace portvakt::api {

class ClientCaStore {
 public:
  // Reads the CA file and, when crlFile is not empty, the CRL. An error
  // naming the file and what is wrong when either cannot be used.
  static Result<std::unique_ptr<ClientCaStore>> open(const std::string& caFile, const std::string& crlFile);
  ~ClientCaStore();
  ClientCaStore(const ClientCaStore&) = delete;
  ClientCaStore& operator=(const ClientCaStore&) = delete;

  bool checksRevocation() const { return !crlFile_.empty(); }
  // The store for a handshake starting now (the CRL reread first if its file
  // changed), with a reference the caller owns (SSL_set0_verify_cert_store).
  X509_STORE* verifyStoreForHandshake();
  // How many times a changed CRL file was taken into use since start.
  int reloads() const;

 private:
  struct FileStamp {
    unsigned long long device = 0, inode = 0, size = 0;
    long long modifiedNs = 0, changedNs = 0;
    bool operator==(const FileStamp&) const = default;
  };
  ClientCaStore() = default;
  static bool stampOf(const std::string& path, FileStamp& out);
  // A store of the CA certificates and the CRLs in crlFile_ (the caller owns
  // it), with how many CRLs it holds; or why the file cannot be used.
  struct BuiltStore {
    X509_STORE* store = nullptr;
    int crlCount = 0;
  };
  Result<BuiltStore> build() const;

  std::vector<X509*> caCerts_;
  std::string crlFile_;
  mutable std::mutex mutex_;
  X509_STORE* store_ = nullptr;
  FileStamp stamp_;    // of the file store_ was built from
  FileStamp refused_;  // of the last file refused (so it is reported once)
  int reloads_ = 0;
};

}  // namespace portvakt::api
