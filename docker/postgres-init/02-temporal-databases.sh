#!/bin/sh
# Temporal's own role and its two databases, apart from the service's `care` (first start of the volume).
# temporal-sql-tool (the temporal-schema service) then sets up and updates their schemas.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE temporal LOGIN PASSWORD '${TEMPORAL_DB_PASSWORD}';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
