// The line formats of --output-file: JSON, Falco's text line, and the rule's output alone
// (a rule whose output is a CSV record writes exactly that record).
#include "detector/output/stream_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace riposte::detector {
namespace {

Alert csv_alert() {
  Alert a;
  a.time_ns = 1'700'000'000'123'456'789;
  a.rule = "CSV export";
  a.priority = Priority::kNotice;
  a.output = "12:13:14.123456789,0123456789ab,nginx,root | k8s_ns_name=shop";
  a.rule_output_size = a.output.find(" | ");
  a.hostname = "node-1";
  return a;
}

std::string write_one(LineFormat format) {
  const auto path =
      std::filesystem::temp_directory_path() / ("stream_sink_test." + std::to_string(getpid()));
  std::filesystem::remove(path);
  {
    auto sink = StreamSink::append_to(path.string(), format);
    EXPECT_TRUE(sink.ok()) << sink.error();
    EXPECT_TRUE((*sink)->emit(csv_alert()).ok());
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(path);
  return ss.str();
}

TEST(StreamSinkTest, OutputFormatWritesTheRenderedOutputAlone) {
  EXPECT_EQ(write_one(LineFormat::kOutput), "12:13:14.123456789,0123456789ab,nginx,root\n");
}

TEST(StreamSinkTest, TextFormatIsFalcosLine) {
  const std::string line = write_one(LineFormat::kFalcoText);
  EXPECT_NE(line.find(": Notice 12:13:14.123456789,0123456789ab,nginx,root | k8s_ns_name=shop\n"),
            std::string::npos)
      << line;
}

TEST(StreamSinkTest, JsonFormatParsesBack) {
  std::string line = write_one(LineFormat::kJson);
  ASSERT_FALSE(line.empty());
  line.pop_back();
  auto a = parse_alert(line);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->rule, "CSV export");
}

TEST(StreamSinkTest, LineFormatNames) {
  EXPECT_EQ(*parse_line_format("json"), LineFormat::kJson);
  EXPECT_EQ(*parse_line_format("text"), LineFormat::kFalcoText);
  EXPECT_EQ(*parse_line_format("output"), LineFormat::kOutput);
  EXPECT_FALSE(parse_line_format("csv").ok());
}

}  // namespace
}  // namespace riposte::detector
