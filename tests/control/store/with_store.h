#pragma once
// A test fixture with a real SQLite store in a temporary directory that the
// test removes afterwards. A fixture that adds its own set-up calls
// WithStore::SetUp() first and returns on HasFatalFailure().

#include <gtest/gtest.h>

#include <memory>

#include "control/store/store.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::testing {

class WithStore : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto opened = store::Store::open(dir_.file("portvakt.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(opened.value());
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace portvakt::testing
