#!/usr/bin/env bash
# bench/compose.yml's counterpart of infra/components/databaseAccess.ts and the ledger grants of
# infra/components/migrations.ts: the three roles, the database owned by the migrator, and the same
# rights. Run once by the image's entrypoint, on an empty volume, as the superuser.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U postgres -d postgres \
  -v migrator_pw="$BENCH_MIGRATOR_PASSWORD" -v app_pw="$BENCH_APP_PASSWORD" -v readonly_pw="$BENCH_READONLY_PASSWORD" <<'SQL'
CREATE ROLE confradar_migrator LOGIN PASSWORD :'migrator_pw' CONNECTION LIMIT 20;
CREATE ROLE confradar_app LOGIN PASSWORD :'app_pw' CONNECTION LIMIT 100;
CREATE ROLE confradar_readonly LOGIN PASSWORD :'readonly_pw' CONNECTION LIMIT 20;
CREATE DATABASE confradar OWNER confradar_migrator TEMPLATE template0 ENCODING 'UTF8';
REVOKE ALL ON DATABASE confradar FROM PUBLIC;
GRANT CONNECT ON DATABASE confradar TO confradar_app, confradar_readonly;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE confradar TO confradar_migrator;
\connect confradar
GRANT USAGE ON SCHEMA public TO confradar_app, confradar_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE confradar_migrator IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO confradar_app;
ALTER DEFAULT PRIVILEGES FOR ROLE confradar_migrator IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO confradar_app;
ALTER DEFAULT PRIVILEGES FOR ROLE confradar_migrator IN SCHEMA public GRANT SELECT ON TABLES TO confradar_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE confradar_migrator IN SCHEMA public GRANT SELECT ON SEQUENCES TO confradar_readonly;
-- The ledger's schema, made beforehand as the stack's migration step leaves it, readable by the app.
CREATE SCHEMA migration_ledger AUTHORIZATION confradar_migrator;
GRANT USAGE ON SCHEMA migration_ledger TO confradar_app;
ALTER DEFAULT PRIVILEGES FOR ROLE confradar_migrator IN SCHEMA migration_ledger GRANT SELECT ON TABLES TO confradar_app;
SQL
