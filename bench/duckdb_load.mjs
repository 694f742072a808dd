// DuckDB loading a day of Security Hub events (read_ndjson), the store benchmark's peer.
//
//   node bench/duckdb_load.mjs DAY.ndjson DB_FILE
//
// Loads one row per finding with the fields cspmd's store keeps in columns, then the latest
// state per identity, into a DuckDB file; prints {"findings", "unique", "bytes"} as JSON.
import { DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';

const [day, dbFile] = process.argv.slice(2);
if (!day || !dbFile) {
  console.error('usage: node bench/duckdb_load.mjs DAY.ndjson DB_FILE');
  process.exit(2);
}
const instance = await DuckDBInstance.create(dbFile, { threads: '2' });
const db = await instance.connect();
const path = day.replaceAll("'", "''");
await db.run(`
  CREATE TABLE events AS
  SELECT unnest(detail.findings, recursive := false) AS f
  FROM read_ndjson('${path}', ignore_errors = true, maximum_object_size = 268435456,
                   columns = {detail: 'STRUCT(findings JSON[])'})`);
await db.run(`
  CREATE TABLE findings AS
  SELECT f->>'$.ProductArn' AS product_arn, f->>'$.Id' AS id, f->>'$.AwsAccountId' AS account_id,
         f->>'$.Region' AS region, f->>'$.Severity.Label' AS severity,
         f->>'$.Compliance.Status' AS compliance_status, f->>'$.Workflow.Status' AS workflow_status,
         f->>'$.RecordState' AS record_state, f->>'$.Compliance.SecurityControlId' AS control_id,
         f->>'$.Title' AS title, f->>'$.Resources[0].Id' AS resource_id,
         f->>'$.UpdatedAt' AS updated_at, f AS raw
  FROM events`);
await db.run(`
  CREATE TABLE latest AS
  SELECT * FROM findings QUALIFY row_number() OVER (PARTITION BY product_arn, id ORDER BY updated_at DESC) = 1`);
const count = async (sql) => Number((await (await db.runAndReadAll(sql)).getRows())[0][0]);
const result = {
  findings: await count('SELECT count(*) FROM findings'),
  unique: await count('SELECT count(*) FROM latest'),
};
db.closeSync?.();
result.bytes = statSync(dbFile).size;
console.log(JSON.stringify(result));
