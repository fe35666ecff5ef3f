/**
 * Where node-pg-migrate records the applied migrations (the ledger): the one place for that fact.
 *
 * Not in schema public: the app role gets row rights (SELECT, INSERT, UPDATE, DELETE) on every table
 * in public through default privileges, and in public the ledger would be one of them, so the app
 * could forge or erase the migration history. The ledger lives in its own schema, which the app role
 * may only read (USAGE + SELECT, for /readyz) and never write. The migrator creates the schema if it
 * is missing (PGlite, a bare server); the deployed stack's infra creates it beforehand.
 */
export const MIGRATIONS_SCHEMA = "migration_ledger";
export const MIGRATIONS_TABLE = "pgmigrations";
