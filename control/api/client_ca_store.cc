#include "control/api/client_ca_store.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>

namespace portvakt::api {

namespace {

std::string openSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail from OpenSSL";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<std::unique_ptr<ClientCaStore>> ClientCaStore::open(const std::string& caFile, const std::string& crlFile) {
  std::unique_ptr<ClientCaStore> self(new ClientCaStore());
  BIO* in = BIO_new_file(caFile.c_str(), "r");
  if (!in) {
    return Error{"cannot read the client CA " + caFile + ": " + openSslError()};
  }
  while (X509* cert = PEM_read_bio_X509(in, nullptr, nullptr, nullptr)) self->caCerts_.push_back(cert);
  BIO_free(in);
  ERR_clear_error();  // the end of the file reads as an error
  if (self->caCerts_.empty()) {
    return Error{"the client CA file " + caFile + " holds no PEM certificate"};
  }
  self->crlFile_ = crlFile;
  if (crlFile.empty()) return self;
  if (!stampOf(crlFile, self->stamp_)) {
    return Error{"cannot read the CRL " + crlFile};
  }
  auto built = self->build();
  if (!built) return built.error();
  self->store_ = built->store;
  return self;
}

ClientCaStore::~ClientCaStore() {
  X509_STORE_free(store_);
  for (X509* cert : caCerts_) X509_free(cert);
}

bool ClientCaStore::stampOf(const std::string& path, FileStamp& out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  out.device = st.st_dev;
  out.inode = st.st_ino;
  out.size = static_cast<unsigned long long>(st.st_size);
  out.modifiedNs = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  out.changedNs = static_cast<long long>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return true;
}

Result<ClientCaStore::BuiltStore> ClientCaStore::build() const {
  BIO* in = BIO_new_file(crlFile_.c_str(), "r");
  if (!in) return Error{"cannot read the CRL " + crlFile_ + ": " + openSslError()};
  X509_STORE* store = X509_STORE_new();
  for (X509* cert : caCerts_) X509_STORE_add_cert(store, cert);
  int crlCount = 0;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(in, nullptr, nullptr, nullptr)) {
    bool signedByCa = false;
    for (X509* ca : caCerts_) signedByCa = signedByCa || X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1;
    if (!signedByCa) {
      X509_CRL_free(crl);
      BIO_free(in);
      X509_STORE_free(store);
      ERR_clear_error();
      return Error{"the CRL file " + crlFile_ + " holds a CRL that the client CA did not sign"};
    }
    X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    ++crlCount;
  }
  BIO_free(in);
  ERR_clear_error();
  if (crlCount == 0) {
    X509_STORE_free(store);
    return Error{"the CRL file " + crlFile_ + " holds no PEM CRL (-----BEGIN X509 CRL-----)"};
  }
  // The client's certificate is checked against its CA's CRL; a CA without
  // a CRL in the file fails the handshake (no silent pass).
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return BuiltStore{store, crlCount};
}

X509_STORE* ClientCaStore::verifyStoreForHandshake() {
  std::lock_guard lock(mutex_);
  FileStamp now;
  if (stampOf(crlFile_, now) && !(now == stamp_) && !(now == refused_)) {
    if (auto fresh = build()) {
      X509_STORE_free(store_);
      store_ = fresh->store;
      stamp_ = now;
      ++reloads_;
      std::fprintf(stderr, "portvaktd: HTTPS: the CRL %s changed: %d CRL(s) in force for new connections\n",
                   crlFile_.c_str(), fresh->crlCount);
    } else {
      refused_ = now;
      std::fprintf(stderr, "portvaktd: HTTPS: %s; the CRL read before stays in force\n", fresh.error().message.c_str());
    }
  }
  X509_STORE_up_ref(store_);
  return store_;
}

int ClientCaStore::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

}  // namespace portvakt::api
