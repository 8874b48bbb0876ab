// Runs one query file of an Evidence DuckDB source the way `npm run sources` does:
// getRunner(options of connection.yaml, the source folder). Prints {rows, columns} as JSON.
// usage: node run_source.cjs <source folder> <filename option> <query.sql>
const fs = require('fs');
const duckdb = require('@evidence-dev/duckdb');

(async () => {
  const [directory, filename, queryPath] = process.argv.slice(2);
  const runner = await duckdb.getRunner({ filename }, directory);
  const result = await runner(fs.readFileSync(queryPath, 'utf8'), queryPath, 1000);
  const rows = [];
  for await (const batch of result.rows()) rows.push(...batch);
  console.log(JSON.stringify({ rows: rows.length, columns: result.columnTypes.map((c) => c.name) }));
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
