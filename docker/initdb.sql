-- The warehouse database comes from POSTGRES_DB; Dagster's storage gets its own database.
create database dagster;
