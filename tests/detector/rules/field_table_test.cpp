// The field tables' rows (detector/rules/field_table.h) are well formed: each field has one way
// to be extracted, so the fast and the generic path are one path except where a field can yield
// several values, and names are unique across families.
#include "detector/rules/field_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace riposte::detector::rules {
namespace {

TEST(FieldTable, EveryRowHasOneExtractionPath) {
  std::set<std::string_view> names;
  size_t rows = 0;
  for (auto family : {evt_fields, proc_fields, user_fields, fd_fields, container_fields, k8s_fields,
                      k8saudit_fields, json_fields}) {
    for (const FieldDef& d : family()) {
      ++rows;
      SCOPED_TRACE(std::string(d.name));
      EXPECT_TRUE(names.insert(d.name).second) << "duplicate field name";
      EXPECT_FALSE(d.str != nullptr && d.num != nullptr) << "two fast getters";
      const bool getter = d.str != nullptr || d.num != nullptr;
      EXPECT_TRUE(getter || d.extract != nullptr) << "no way to extract the field";
      // Both only where the extractor serves the multi-valued form (no index) and the getter
      // the single value.
      if (getter && d.extract != nullptr) {
        EXPECT_EQ(d.arg, ArgMode::kIndexOptional);
      }
      if (d.str != nullptr) {
        EXPECT_EQ(d.type, FieldType::kString);
      }
      if (d.num != nullptr) {
        EXPECT_TRUE(is_numeric(d.type) || d.type == FieldType::kBool);
      }
      EXPECT_GT(d.cost.base, 0);
    }
  }
  EXPECT_EQ(rows, known_field_names().size());
}

}  // namespace
}  // namespace riposte::detector::rules
