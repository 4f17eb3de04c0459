#!/bin/sh
# Creates the service database and its restricted application role (a LOGIN) on the first start of the
# volume. The migrations find the role, keep it, and grant it INSERT/SELECT on the records only.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE DATABASE care;
CREATE ROLE care_app LOGIN PASSWORD '${CARE_DB_PASSWORD}';
GRANT CONNECT ON DATABASE care TO care_app;
SQL
