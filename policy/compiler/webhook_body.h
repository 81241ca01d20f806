#pragma once
// A webhook sink's `body:`: the JSON document the policy shapes for the
// service desk, compiled from its YAML form into tables::BodyValue.
//
//   - mappings and lists stay mappings and lists (keys in written order);
//   - unquoted true/false, null and numbers in JSON's notation become JSON
//     booleans, null and numbers; everything else, and anything quoted, is text;
//   - text may hold placeholders {{event}}, {{severity}}, ... {{evidence.KEY}},
//     filled in per alert; "{{" always starts one, an unknown name is an error;
//   - {by_severity: {info: V, warning: V, critical: V}} is V for the alert's severity.

#include <optional>
#include <string_view>
#include <vector>

#include "policy/compiler/ast.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::policy {

// The placeholder names the body accepts, as the docs list them.
const std::vector<std::string>& bodyPlaceholders();

// Splits text into literal pieces and placeholders, or says what is wrong
// with a placeholder.
ValueResult<std::vector<tables::TemplatePiece>> parseBodyText(std::string_view text);

// Compiles a body, reporting every problem at its place. The result is
// meaningful only when no error was added.
tables::BodyValue compileBody(const BodyDecl& body, Diagnostics& diags);

}  // namespace portvakt::policy
