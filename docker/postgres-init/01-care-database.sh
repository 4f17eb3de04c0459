#!/bin/sh
# Creates the service database and its restricted application role on the first start of the volume.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE DATABASE care;
CREATE ROLE care_app LOGIN PASSWORD '${CARE_DB_PASSWORD}';
GRANT CONNECT ON DATABASE care TO care_app;
SQL
