// Files compiled into the controller by controller/tools/embed.py.
#pragma once
#include <cstddef>

namespace telemed {
extern const char kOpenApiJson[];  // docs/openapi.yaml as compact JSON
namespace db {
struct EmbeddedMigration {
    int version;
    const char* name;  // "001_init.sql"
    const char* sql;
};
extern const EmbeddedMigration kMigrations[];  // ascending version
extern const std::size_t kMigrationCount;
}  // namespace db
}  // namespace telemed
