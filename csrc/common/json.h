// A minimal JSON writer: the ops that describe the library (xeon::info, xeon::packed_spec) hand their
// tables to Python as JSON text, so names and numbers are written once, here in C++.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>

namespace xeon {

class JsonWriter {
 public:
  JsonWriter& begin_object() { sep(); out_ << '{'; first_ = true; return *this; }
  JsonWriter& end_object() { out_ << '}'; first_ = false; return *this; }
  JsonWriter& begin_array() { sep(); out_ << '['; first_ = true; return *this; }
  JsonWriter& end_array() { out_ << ']'; first_ = false; return *this; }
  // The key of the next value in an object.
  JsonWriter& key(const char* k) { sep(); out_ << '"' << k << "\":"; first_ = true; return *this; }
  JsonWriter& value(const char* s) { sep(); out_ << '"' << s << '"'; return *this; }  // names only: no escaping
  JsonWriter& value(int64_t v) { sep(); out_ << v; return *this; }
  JsonWriter& value(bool v) { sep(); out_ << (v ? "true" : "false"); return *this; }
  template <class V> JsonWriter& field(const char* k, V v) { return key(k).value(v); }
  std::string str() const { return out_.str(); }

 private:
  void sep() {
    if (!first_) out_ << ',';
    first_ = false;
  }
  std::ostringstream out_;
  bool first_ = true;
};

}  // namespace xeon
